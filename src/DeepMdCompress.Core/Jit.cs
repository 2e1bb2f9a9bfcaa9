using System.Runtime.CompilerServices;

namespace DeepMdCompress.Core;

/// <summary>How the runtime should compile the hot kernels.</summary>
internal static class Jit
{
    /// <summary>
    /// MethodImplOptions.AggressiveOptimization (absent from netstandard2.0's enum; .NET Core 3.0 and later honour it):
    /// compile the method optimised at once instead of through the runtime's tiers. For kernels that a frame calls only
    /// a few times but that loop over every atom, neighbour or channel: tiered compilation would otherwise run them as
    /// unoptimised or on-stack-replaced code for the first tens of frames, several times slower.
    /// </summary>
    public const MethodImplOptions Optimized = (MethodImplOptions)512;
}
