using System;
using System.IO;
using System.Reflection;

namespace DeepMdCompress.Core.Evaluation.Ops;

/// <summary>
/// The kernels of DeepMdCompress.Kernels.dll (net8.0, AVX-512 and fused multiply-adds), which this netstandard2.0
/// assembly cannot compile itself. The assembly is loaded from beside this one, once, when the process runs on
/// .NET 8 or later and the CPU has the instructions; otherwise (Windows PowerShell 5.1, an older CPU, the file absent,
/// DEEPMDCOMPRESS_PORTABLE_KERNELS=1) every kernel is null and callers keep their portable System.Numerics paths. The
/// choice is made once per process, so every element of every frame goes through the same code whatever the thread count.
/// </summary>
internal static unsafe class WideKernels
{
    /// <summary>y[i] = tanh(x[i]) for i &lt; n, in place allowed; see VectorMath.Tanh.</summary>
    internal delegate void TanhKernel(double* x, double* y, int n);

    /// <summary>One slot of TabulateFusionSeAGrad: dx[0] and de[0…3] from dy (TabulateKernels.SeAGradWide).</summary>
    internal delegate void SeAGradSlot(double* c, int l, double t, double delta, double* e, double scale, double* dy, double* dx, double* de);

    /// <summary>
    /// The packed product's register tiles down one 24-column strip: tile t sums A's rows a + rows[4t + r]·sai (or
    /// a + (4t + r)·sai when rows is null), r = 0…3, into 8·vectors columns of C at c + (4t + r)·ldc (Gemm.MultiplyRows).
    /// </summary>
    internal delegate void GemmTiles(double* a, int sai, int* rows, int sap, double* b, int depth, double* c, int ldc, int tiles, bool first, int vectors);

    private const string AssemblyFile = "DeepMdCompress.Kernels.dll";

    private const string PortableVariable = "DEEPMDCOMPRESS_PORTABLE_KERNELS";

    private static readonly Assembly? Kernels = LoadAssembly();

    /// <summary>The AVX-512 tanh, or null.</summary>
    internal static TanhKernel? Tanh { get; } = Bind<TanhKernel>("Avx512Tanh", "Tanh");

    /// <summary>The AVX-512 TabulateFusionSeAGrad slot, or null.</summary>
    internal static SeAGradSlot? SeAGrad { get; } = Bind<SeAGradSlot>("Avx512Tabulate", "SeAGrad");

    /// <summary>The AVX-512 packed-product tiles, or null.</summary>
    internal static GemmTiles? Gemm { get; } = Bind<GemmTiles>("Avx512Gemm", "Tiles");

    private static Assembly? LoadAssembly()
    {
        if (Environment.Version.Major < 8 || Environment.GetEnvironmentVariable(PortableVariable) == "1")
        {
            return null;
        }

        try
        {
            string? folder = Path.GetDirectoryName(typeof(WideKernels).Assembly.Location);
            string path = Path.Combine(folder ?? string.Empty, AssemblyFile);
            return folder is null || !File.Exists(path) ? null : Assembly.LoadFrom(path);
        }
        catch (Exception e) when (IsLoadFailure(e))
        {
            return null;
        }
    }

    /// <summary>The static method <paramref name="method"/> of kernel class <paramref name="type"/> when its IsSupported holds.</summary>
    private static T? Bind<T>(string type, string method)
        where T : Delegate
    {
        if (Kernels is null)
        {
            return null;
        }

        try
        {
            var kernel = Kernels.GetType("DeepMdCompress.Kernels." + type, throwOnError: true)!;
            if (kernel.GetProperty("IsSupported")?.GetValue(null) is not true)
            {
                return null;
            }

            var parameters = Array.ConvertAll(typeof(T).GetMethod("Invoke")!.GetParameters(), p => p.ParameterType);
            return (T)Delegate.CreateDelegate(typeof(T), kernel.GetMethod(method, parameters) ?? throw new MissingMethodException(type, method));
        }
        catch (Exception e) when (IsLoadFailure(e))
        {
            return null;
        }
    }

    // A damaged or foreign file: the portable paths compute the same results to rounding.
    private static bool IsLoadFailure(Exception e) =>
        e is IOException || e is BadImageFormatException || e is TypeLoadException || e is MissingMemberException || e is ArgumentException
        || e is NotSupportedException || e is UnauthorizedAccessException || e is System.Security.SecurityException;
}
