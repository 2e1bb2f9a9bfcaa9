using System;
using System.IO;
using System.Reflection;

namespace DeepMdCompress.Core.Evaluation.Ops;

/// <summary>
/// The kernels of DeepMdCompress.Kernels.dll (net8.0, AVX-512 and fused multiply-adds), which this netstandard2.0
/// assembly cannot compile itself. The assembly is loaded from beside this one, once, when the process runs on
/// .NET 8 or later and the CPU has the instructions; otherwise (Windows PowerShell 5.1, an older CPU, the file absent)
/// every kernel is null and callers keep their portable System.Numerics paths. The choice is made once per
/// process, so every element of every frame goes through the same code whatever the thread count.
/// </summary>
internal static unsafe class WideKernels
{
    /// <summary>y[i] = tanh(x[i]) for i &lt; n, in place allowed; see VectorMath.Tanh.</summary>
    internal delegate void TanhKernel(double* x, double* y, int n);

    private const string AssemblyFile = "DeepMdCompress.Kernels.dll";

    /// <summary>Set DEEPMDCOMPRESS_PORTABLE_KERNELS=1 to keep the portable paths (e.g. to compare the two).</summary>
    private const string PortableVariable = "DEEPMDCOMPRESS_PORTABLE_KERNELS";

    /// <summary>The AVX-512 tanh, or null.</summary>
    internal static TanhKernel? Tanh { get; } = Load();

    private static TanhKernel? Load()
    {
        if (Environment.Version.Major < 8 || Environment.GetEnvironmentVariable(PortableVariable) == "1")
        {
            return null;
        }

        try
        {
            string? folder = Path.GetDirectoryName(typeof(WideKernels).Assembly.Location);
            string path = Path.Combine(folder ?? string.Empty, AssemblyFile);
            if (folder is null || !File.Exists(path))
            {
                return null;
            }

            var type = Assembly.LoadFrom(path).GetType("DeepMdCompress.Kernels.Avx512Tanh", throwOnError: true)!;
            if (!(bool)type.GetProperty("IsSupported")!.GetValue(null)!)
            {
                return null;
            }

            return (TanhKernel)Delegate.CreateDelegate(typeof(TanhKernel), type.GetMethod("Tanh", new[] { typeof(double*), typeof(double*), typeof(int) })!);
        }
        catch (Exception e) when (e is IOException || e is BadImageFormatException || e is TypeLoadException || e is MissingMemberException
            || e is ArgumentException || e is NotSupportedException || e is UnauthorizedAccessException || e is System.Security.SecurityException)
        {
            // A damaged or foreign file: the portable paths compute the same tanh to within its 4 ulp.
            return null;
        }
    }
}
