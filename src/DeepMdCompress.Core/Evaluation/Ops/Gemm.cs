using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Numerics;

namespace DeepMdCompress.Core.Evaluation.Ops;

/// <summary>
/// Dense matrix products C = A·B for the MatMul/BatchMatMul kernels. A is read through arbitrary strides (so
/// a transposed A needs no copy); B must have contiguous rows (callers pack a transposed B first). Every
/// C[i, j] is the plain sum over p in ascending order (multiply, then add), so the result does not depend on
/// the blocking, the vector width or the thread count.
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>
    /// Rows [rowStart, rowEnd) of C[i, j] = Σ_p A(i, p)·B[p, j], with A(i, p) = a[aOff + i·sai + p·sap],
    /// B row-major [k, n] at bOff and C row-major [m, n] at cOff (overwritten).
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    public static void Multiply(double[] a, int aOff, int sai, int sap, double[] b, int bOff, double[] c, int cOff, int rowStart, int rowEnd, int k, int n)
    {
        if (rowEnd <= rowStart || n == 0)
        {
            return;
        }

        fixed (double* pa0 = a, pb0 = b, pc0 = c)
        {
            double* pa = pa0 + aOff, pb = pb0 + bOff, pc = pc0 + cOff;
            int w = Vector<double>.Count;
            int j = 0;
            if (Vector.IsHardwareAccelerated)
            {
                // Rows outermost, so a block of A rows stays in cache while B (small: weights) is swept. Four rows
                // take three vectors of columns at a time: twelve sums and one row of B fill sixteen registers.
                int nb3 = n / (3 * w) * (3 * w);
                int nb2 = n / (2 * w) * (2 * w);
                int nb1 = n / w * w;
                int i = rowStart;
                for (; i + 4 <= rowEnd; i += 4)
                {
                    double* ai = pa + (i * sai);
                    double* ci = pc + (i * n);
                    for (int jj = 0; jj < nb3; jj += 3 * w)
                    {
                        Block4x3(ai, sai, sap, pb + jj, n, ci + jj, k);
                    }

                    for (int jj = nb3; jj < nb1; jj += w)
                    {
                        Block4x1(ai, sai, sap, pb + jj, n, ci + jj, k);
                    }
                }

                for (; i < rowEnd; i++)
                {
                    double* ai = pa + (i * sai);
                    double* ci = pc + (i * n);
                    for (int jj = 0; jj < nb2; jj += 2 * w)
                    {
                        Block1x2(ai, sap, pb + jj, n, ci + jj, k);
                    }

                    for (int jj = nb2; jj < nb1; jj += w)
                    {
                        Block1x1(ai, sap, pb + jj, n, ci + jj, k);
                    }
                }

                j = nb1;
            }

            for (; j < n; j++)
            {
                for (int i = rowStart; i < rowEnd; i++)
                {
                    double s = 0;
                    double* ai = pa + (i * sai);
                    for (int p = 0; p < k; p++)
                    {
                        s += ai[p * sap] * pb[(p * n) + j];
                    }

                    pc[(i * n) + j] = s;
                }
            }
        }
    }

    /// <summary>
    /// C[m, n] = A·B for fewer rows of A than a four-row block (m ≤ <see cref="FewRows"/>): C stays in L1 while B
    /// is streamed once, row by row, instead of once per row of A. From four rows (a descriptor's 4×100 Rᵀ·G) the
    /// four-row register blocks of <see cref="Multiply(double[], int, int, int, double[], int, double[], int, int, int, int, int)"/>
    /// are faster: C's sums stay in registers, not one load and store of C per term (measured 1.7× on se_e2_a's Rᵀ·G).
    /// Each C[i, j] is still the ascending sum over p, so the bits are those of the other kernels.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    public static void MultiplyFewRows(double[] a, int aOff, int sai, int sap, double[] b, int bOff, double[] c, int cOff, int m, int k, int n)
    {
        fixed (double* pa0 = a, pb0 = b, pc0 = c)
        {
            double* pa = pa0 + aOff, pb = pb0 + bOff, pc = pc0 + cOff;
            new Span<double>(pc, m * n).Clear();
            int w = Vector<double>.Count, nv = Vector.IsHardwareAccelerated ? n / w * w : 0;
            for (int p = 0; p < k; p++)
            {
                double* bp = pb + ((long)p * n);
                for (int i = 0; i < m; i++)
                {
                    double x = pa[(i * sai) + (p * sap)];
                    var xv = new Vector<double>(x);
                    double* ci = pc + (i * n);
                    int j = 0;
                    for (; j < nv; j += w)
                    {
                        *(Vector<double>*)(ci + j) += xv * *(Vector<double>*)(bp + j);
                    }

                    for (; j < n; j++)
                    {
                        ci[j] += x * bp[j];
                    }
                }
            }
        }
    }

    /// <summary>Rows up to which <see cref="MultiplyFewRows"/> is used.</summary>
    public const int FewRows = 3;

    [MethodImpl(Jit.Optimized)]
    private static void Block4x3(double* a, int sai, int sap, double* b, int n, double* c, int k)
    {
        int w = Vector<double>.Count;
        Vector<double> c00 = Vector<double>.Zero, c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
        Vector<double> c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
        for (int p = 0; p < k; p++)
        {
            double* bp = b + (p * n);
            var b0 = *(Vector<double>*)bp;
            var b1 = *(Vector<double>*)(bp + w);
            var b2 = *(Vector<double>*)(bp + (2 * w));
            double* ap = a + (p * sap);
            var x = new Vector<double>(ap[0]);
            c00 += x * b0;
            c01 += x * b1;
            c02 += x * b2;
            x = new Vector<double>(ap[sai]);
            c10 += x * b0;
            c11 += x * b1;
            c12 += x * b2;
            x = new Vector<double>(ap[2 * sai]);
            c20 += x * b0;
            c21 += x * b1;
            c22 += x * b2;
            x = new Vector<double>(ap[3 * sai]);
            c30 += x * b0;
            c31 += x * b1;
            c32 += x * b2;
        }

        Store3(c, w, c00, c01, c02);
        Store3(c + n, w, c10, c11, c12);
        Store3(c + (2 * n), w, c20, c21, c22);
        Store3(c + (3 * n), w, c30, c31, c32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store3(double* c, int w, Vector<double> v0, Vector<double> v1, Vector<double> v2)
    {
        *(Vector<double>*)c = v0;
        *(Vector<double>*)(c + w) = v1;
        *(Vector<double>*)(c + (2 * w)) = v2;
    }

    /// <summary>Four rows of one vector of columns: four independent sums, so a narrow C (e.g. n = 4) is not one add chain per row.</summary>
    [MethodImpl(Jit.Optimized)]
    private static void Block4x1(double* a, int sai, int sap, double* b, int n, double* c, int k)
    {
        Vector<double> c0 = Vector<double>.Zero, c1 = c0, c2 = c0, c3 = c0;
        for (int p = 0; p < k; p++)
        {
            var bp = *(Vector<double>*)(b + (p * n));
            double* ap = a + (p * sap);
            c0 += new Vector<double>(ap[0]) * bp;
            c1 += new Vector<double>(ap[sai]) * bp;
            c2 += new Vector<double>(ap[2 * sai]) * bp;
            c3 += new Vector<double>(ap[3 * sai]) * bp;
        }

        *(Vector<double>*)c = c0;
        *(Vector<double>*)(c + n) = c1;
        *(Vector<double>*)(c + (2 * n)) = c2;
        *(Vector<double>*)(c + (3 * n)) = c3;
    }

    [MethodImpl(Jit.Optimized)]
    private static void Block1x2(double* a, int sap, double* b, int n, double* c, int k)
    {
        int w = Vector<double>.Count;
        Vector<double> c0 = Vector<double>.Zero, c1 = c0;
        for (int p = 0; p < k; p++)
        {
            double* bp = b + (p * n);
            var x = new Vector<double>(a[p * sap]);
            c0 += x * *(Vector<double>*)bp;
            c1 += x * *(Vector<double>*)(bp + w);
        }

        *(Vector<double>*)c = c0;
        *(Vector<double>*)(c + w) = c1;
    }

    [MethodImpl(Jit.Optimized)]
    private static void Block1x1(double* a, int sap, double* b, int n, double* c, int k)
    {
        Vector<double> c0 = Vector<double>.Zero;
        for (int p = 0; p < k; p++)
        {
            c0 += new Vector<double>(a[p * sap]) * *(Vector<double>*)(b + (p * n));
        }

        *(Vector<double>*)c = c0;
    }

    public static void Multiply(float[] a, int aOff, int sai, int sap, float[] b, int bOff, float[] c, int cOff, int rowStart, int rowEnd, int k, int n)
    {
        if (rowEnd <= rowStart || n == 0)
        {
            return;
        }

        fixed (float* pa0 = a, pb0 = b, pc0 = c)
        {
            float* pa = pa0 + aOff, pb = pb0 + bOff, pc = pc0 + cOff;
            int w = Vector<float>.Count;
            int j = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; j + w <= n; j += w)
                {
                    for (int i = rowStart; i < rowEnd; i++)
                    {
                        float* ai = pa + (i * sai);
                        Vector<float> acc = Vector<float>.Zero;
                        for (int p = 0; p < k; p++)
                        {
                            acc += new Vector<float>(ai[p * sap]) * *(Vector<float>*)(pb + (p * n) + j);
                        }

                        *(Vector<float>*)(pc + (i * n) + j) = acc;
                    }
                }
            }

            for (; j < n; j++)
            {
                for (int i = rowStart; i < rowEnd; i++)
                {
                    float s = 0;
                    float* ai = pa + (i * sai);
                    for (int p = 0; p < k; p++)
                    {
                        s += ai[p * sap] * pb[(p * n) + j];
                    }

                    pc[(i * n) + j] = s;
                }
            }
        }
    }

    /// <summary>Rows per register tile of the packed kernel.</summary>
    public const int TileRows = 4;

    /// <summary>
    /// The AVX-512 register tile (<see cref="WideKernels"/>), or null. It fuses each term's multiply and add, so the
    /// evaluator packs every product of a process for it (the tests also pack for the portable tiles).
    /// </summary>
    private static readonly WideKernels.GemmTiles? WideTile = WideKernels.Gemm;

    /// <summary>Columns per portable register tile and per strip packed for it: three vectors, 12 doubles with AVX.</summary>
    private static int PortableColumns => 3 * Vector<double>.Count;

    /// <summary>Columns per AVX-512 register tile and per strip packed for it.</summary>
    private const int WideColumns = 24;

    /// <summary>Rows of A per block: a block's panel of A stays in L2 while every strip of B passes over it.</summary>
    internal const int BlockRows = 256;

    /// <summary>Rows of B per packed panel: one strip and four rows of A stay in L1 while a tile is summed.</summary>
    private const int PanelDepth = 128;

    /// <summary>
    /// B(p, j) = b[off + p·sbp + j·sbj] copied into panels of <see cref="PanelDepth"/> rows, each split into strips
    /// of <see cref="Columns"/> columns for the tile that will read them (zero-padded; 12 KB with AVX, 24 KB for the
    /// AVX-512 tile), so the packed kernel reads B sequentially whatever the transposition; made once per product and
    /// shared by the threads that compute its rows.
    /// </summary>
    public sealed class PackedMatrix
    {
        /// <summary>An all-zero packing of B[k, n] for the AVX-512 tile (<paramref name="wide"/>) or the portable ones.</summary>
        internal PackedMatrix(int k, int n, bool wide)
        {
            K = k;
            N = n;
            Wide = wide;
            Columns = wide ? WideColumns : PortableColumns;
            Strips = (n + Columns - 1) / Columns;
            Data = new double[(long)k * Strips * Columns];
        }

        /// <summary>Whether the strips are for the AVX-512 tile.</summary>
        internal bool Wide { get; }

        /// <summary>Columns per strip.</summary>
        internal int Columns { get; }

        internal double[] Data { get; }

        internal int K { get; }

        internal int N { get; }

        internal int Strips { get; }
    }

    /// <summary>Packs B[k, n], element (p, j) at b[off + p·sbp + j·sbj], for the AVX-512 tile where this process has it.</summary>
    public static PackedMatrix Pack(double[] b, int off, int sbp, int sbj, int k, int n) => Pack(b, off, sbp, sbj, k, n, WideTile is not null);

    /// <summary>Packs B for the AVX-512 tile (<paramref name="wide"/>, where bound) or the portable ones.</summary>
    [MethodImpl(Jit.Optimized)]
    internal static PackedMatrix Pack(double[] b, int off, int sbp, int sbj, int k, int n, bool wide)
    {
        var packed = new PackedMatrix(k, n, wide && WideTile is not null);
        int columns = packed.Columns, strips = packed.Strips;
        fixed (double* pb = b, pd = packed.Data)
        {
            for (int p0 = 0; p0 < k; p0 += PanelDepth)
            {
                int depth = Math.Min(PanelDepth, k - p0);
                double* panel = pd + ((long)p0 * strips * columns);
                for (int s = 0; s < strips; s++)
                {
                    double* dst = panel + ((long)s * depth * columns);
                    int j0 = s * columns, width = Math.Min(columns, n - j0);
                    for (int p = 0; p < depth; p++)
                    {
                        double* src = pb + off + ((long)(p0 + p) * sbp) + ((long)j0 * sbj);
                        double* row = dst + (p * columns);
                        for (int q = 0; q < width; q++)
                        {
                            row[q] = src[q * sbj];
                        }
                    }
                }
            }
        }

        return packed;
    }

    /// <summary>
    /// Rows [rowStart, rowEnd) of C = A·B with B packed; A(i, p) = a[aOff + i·sai + p·sap], C row-major [m, n] at
    /// cOff. Panels of B are summed one after another with each tile's partial sums carried in C, which is the
    /// very sequence of additions of the unblocked sum, so the result is the same bits as the unpacked Multiply.
    /// </summary>
    /// <remarks>
    /// With <paramref name="bias"/> and/or <paramref name="tanh"/>, each block of rows, once its sums are complete,
    /// gets C[i, j] + bias[j] and then tanh (VectorMath.Tanh) while it is still in cache: a fused dense layer.
    /// Only strips [<paramref name="stripStart"/>, <paramref name="stripEnd"/>) of B (all by default) are computed:
    /// threads may split a product of few rows by columns, so that each reads only its share of B. With
    /// <paramref name="resnet"/> (same layout as C), each finished block also writes concat([A, A, …]) + C there.
    /// </remarks>
    [MethodImpl(Jit.Optimized)]
    public static void Multiply(double[] a, int aOff, int sai, int sap, PackedMatrix b, double[] c, int cOff, int rowStart, int rowEnd,
        double[]? bias = null, bool tanh = false, int stripStart = 0, int stripEnd = -1, double[]? resnet = null)
    {
        int k = b.K, n = b.N, w = Vector<double>.Count;
        stripEnd = stripEnd < 0 ? b.Strips : Math.Min(stripEnd, b.Strips);
        if (rowEnd <= rowStart || n == 0 || stripEnd <= stripStart)
        {
            return;
        }

        int c0 = stripStart * b.Columns, columns = Math.Min(n, stripEnd * b.Columns) - c0;
        int[]? distinct = k > 0 && SkipRepeatedRows ? DistinctRows(a, aOff, sai, sap, k, rowStart, rowEnd) : null;
        int computed = distinct is null ? rowEnd - rowStart : distinct[0];
        try
        {
            MultiplyRows(a, aOff, sai, sap, b, c, cOff, rowStart, computed, distinct, bias, tanh, stripStart, stripEnd, c0, columns, resnet);
            if (distinct is not null)
            {
                SpreadRepeats(c, cOff, n, c0, columns, rowStart, rowEnd, distinct);
                if (resnet is not null)
                {
                    SpreadRepeats(resnet, cOff, n, c0, columns, rowStart, rowEnd, distinct);
                }
            }
        }
        finally
        {
            if (distinct is not null)
            {
                ArrayPool<int>.Shared.Return(distinct);
            }
        }
    }

    /// <summary>
    /// Whether the packed product computes a row of A that repeats the row before it only once: an embedding net's
    /// rows for an atom's padding neighbours all see the same input (the normalised zero of the environment matrix),
    /// forward and backward, a third of the rows of a water model. The repeat's row of C is a copy of the same bits.
    /// </summary>
    internal static bool SkipRepeatedRows { get; set; } = true;

    /// <summary>Repeats below this share of a range's rows are computed as they come (the copy is not worth it).</summary>
    private const int RepeatShare = 16;

    /// <summary>
    /// For rows [rowStart, rowEnd) of A: null when few repeat the row before them bitwise; else [count, r₀, r₁, …],
    /// the rows that differ from their predecessor (rowStart always), ascending. Rented: the caller returns it.
    /// </summary>
    private static int[]? DistinctRows(double[] a, int aOff, int sai, int sap, int k, int rowStart, int rowEnd)
    {
        int rows = rowEnd - rowStart, count = 0;
        var distinct = ArrayPool<int>.Shared.Rent(rows + 1);
        fixed (double* pa0 = a)
        {
            double* pa = pa0 + aOff;
            distinct[++count] = rowStart;
            for (int i = rowStart + 1; i < rowEnd; i++)
            {
                if (!SameRow(pa + ((long)i * sai), pa + ((long)(i - 1) * sai), sap, k))
                {
                    distinct[++count] = i;
                }
            }
        }

        int repeats = rows - count;
        if (repeats == 0 || repeats * RepeatShare < rows)
        {
            ArrayPool<int>.Shared.Return(distinct);
            return null;
        }

        distinct[0] = count;
        return distinct;
    }

    [MethodImpl(Jit.Optimized)]
    private static bool SameRow(double* x, double* y, int sap, int k)
    {
        for (int p = 0; p < k; p++)
        {
            if (*(long*)(x + ((long)p * sap)) != *(long*)(y + ((long)p * sap)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Rows computed compactly at C[rowStart + r] (r-th distinct row) are moved to their own rows and copied to their
    /// repeats, last first: the r-th compact row sits at or above every row it fills, so nothing is overwritten
    /// before it is read.
    /// </summary>
    private static void SpreadRepeats(double[] c, int cOff, int n, int c0, int columns, int rowStart, int rowEnd, int[] distinct)
    {
        int count = distinct[0];
        fixed (double* pc0 = c)
        {
            double* pc = pc0 + cOff + c0;
            for (int r = count - 1; r >= 0; r--)
            {
                int first = distinct[r + 1], end = r + 1 < count ? distinct[r + 2] : rowEnd;
                var source = new Span<double>(pc + ((long)(rowStart + r) * n), columns);
                for (int i = end - 1; i >= first; i--)
                {
                    if (i != rowStart + r)
                    {
                        source.CopyTo(new Span<double>(pc + ((long)i * n), columns));
                    }
                }
            }
        }
    }

    /// <summary>
    /// The packed product for rows [rowStart, rowStart + count) of C, columns [c0, c0 + columns) (strips
    /// [stripStart, stripEnd)); row rowStart + r reads row r of A, or the r-th of <paramref name="distinct"/>'s rows when given.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    private static void MultiplyRows(double[] a, int aOff, int sai, int sap, PackedMatrix b, double[] c, int cOff, int rowStart, int count,
        int[]? distinct, double[]? bias, bool tanh, int stripStart, int stripEnd, int c0, int columns, double[]? resnet)
    {
        int k = b.K, n = b.N, rowEnd = rowStart + count;
        int tileColumns = b.Columns;
        double* tile = stackalloc double[TileRows * tileColumns];
        int* tileRows = stackalloc int[TileRows];
        var wide = b.Wide ? WideTile : null;
        int lane = tileColumns / 3;
        fixed (double* pa = a, pb = b.Data, pc = c)
        {
            if (k == 0)
            {
                for (int i = rowStart; i < rowEnd; i++)
                {
                    new Span<double>(pc + cOff + ((long)i * n) + c0, columns).Clear();
                }

                if (bias is not null || tanh)
                {
                    Epilogue(pc + cOff + ((long)rowStart * n), rowEnd - rowStart, n, c0, columns, bias, tanh);
                }

                return;
            }

            for (int p0 = 0; p0 < k; p0 += PanelDepth)
            {
                int depth = Math.Min(PanelDepth, k - p0);
                bool first = p0 == 0;
                double* panel = pb + ((long)p0 * b.Strips * tileColumns);
                double* panelA = pa + aOff + ((long)p0 * sap);
                for (int i0 = rowStart; i0 < rowEnd; i0 += BlockRows)
                {
                    int blockEnd = Math.Min(rowEnd, i0 + BlockRows);
                    for (int s = stripStart; s < stripEnd; s++)
                    {
                        double* strip = panel + ((long)s * depth * tileColumns);
                        int j0 = s * tileColumns, width = Math.Min(tileColumns, n - j0);
                        int vectors = (width + lane - 1) / lane;
                        int i = i0;
                        if (wide is not null && width == vectors * lane && blockEnd - i0 >= TileRows)
                        {
                            // The block's whole tiles in one call: they write C directly.
                            int tiles = (blockEnd - i0) / TileRows;
                            fixed (int* rows = distinct)
                            {
                                wide(panelA + (distinct is null ? (long)i0 * sai : 0), sai, rows is null ? null : rows + (i0 - rowStart + 1), sap, strip, depth,
                                    pc + cOff + ((long)i0 * n) + j0, n, tiles, first, vectors);
                            }

                            i += tiles * TileRows;
                        }

                        for (; i < blockEnd; i += TileRows)
                        {
                            int rows = Math.Min(TileRows, blockEnd - i);
                            double* ci = pc + cOff + ((long)i * n) + j0;

                            // Missing rows of the last tile re-read the tile's first row and are not stored.
                            int r = i - rowStart;
                            for (int q = 0; q < TileRows; q++)
                            {
                                tileRows[q] = q < rows ? (distinct is null ? i + q : distinct[r + q + 1]) : tileRows[0];
                            }

                            double* a0 = panelA + ((long)tileRows[0] * sai);
                            double* a1 = panelA + ((long)tileRows[1] * sai);
                            double* a2 = panelA + ((long)tileRows[2] * sai);
                            double* a3 = panelA + ((long)tileRows[3] * sai);
                            bool direct = rows == TileRows && width == vectors * lane;
                            double* dst = direct ? ci : tile;
                            int ldc = direct ? n : vectors * lane;
                            if (!direct && !first)
                            {
                                Copy(ci, n, tile, ldc, rows, width);
                            }

                            switch (wide is null ? vectors : 0)
                            {
                                case 0:
                                    wide!(panelA, sai, tileRows, sap, strip, depth, dst, ldc, 1, first, vectors);
                                    break;
                                case 3:
                                    Tile4x3(a0, a1, a2, a3, sap, strip, depth, dst, ldc, first);
                                    break;
                                case 2:
                                    Tile4x2(a0, a1, a2, a3, sap, strip, depth, dst, ldc, first);
                                    break;
                                default:
                                    Tile4x1(a0, a1, a2, a3, sap, strip, depth, dst, ldc, first);
                                    break;
                            }

                            if (!direct)
                            {
                                Copy(tile, ldc, ci, n, rows, width);
                            }
                        }
                    }

                    if (p0 + depth == k && (bias is not null || tanh))
                    {
                        Epilogue(pc + cOff + ((long)i0 * n), blockEnd - i0, n, c0, columns, bias, tanh);
                    }

                    if (p0 + depth == k && resnet is not null)
                    {
                        ResnetSum(pa + aOff, sai, sap, k, distinct, rowStart, i0, blockEnd, pc + cOff, resnet, cOff, n, c0, columns);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Columns [j0, j0 + width) of a finished block of rows of C (row stride n, still in L2): + bias[j], then tanh, in
    /// place. Tanh is latency-bound, so it runs over the longest spans there are: the whole block when it is all of
    /// C's width, else each row's part.
    /// </summary>
    private static void Epilogue(double* c, int rows, int n, int j0, int width, double[]? bias, bool tanh)
    {
        if (bias is not null)
        {
            fixed (double* pbias = bias)
            {
                int w = Vector<double>.Count, nv = Vector.IsHardwareAccelerated ? width / w * w : 0;
                for (int r = 0; r < rows; r++)
                {
                    double* row = c + ((long)r * n) + j0, rb = pbias + j0;
                    int q = 0;
                    for (; q < nv; q += w)
                    {
                        *(Vector<double>*)(row + q) += *(Vector<double>*)(rb + q);
                    }

                    for (; q < width; q++)
                    {
                        row[q] += rb[q];
                    }
                }
            }
        }

        if (!tanh)
        {
            return;
        }

        if (width == n)
        {
            var block = new Span<double>(c, rows * n);
            VectorMath.Tanh(block, block);
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            var part = new Span<double>(c + ((long)r * n) + j0, width);
            VectorMath.Tanh(part, part);
        }
    }

    /// <summary>
    /// A resnet's concat([x, x, …]) + y for finished rows [i0, end) of y = C, x the product's own A (n a multiple of k):
    /// s[i, j] = x[i, j mod k] + y[i, j], ConcatSum's addition, while the block is in cache. Row i of C holds the
    /// r-th distinct row of A when <paramref name="distinct"/> is given (r = i − rowStart), so its x is that row's.
    /// </summary>
    private static void ResnetSum(double* a, int sai, int sap, int k, int[]? distinct, int rowStart, int i0, int end, double* c,
        double[] s, int sOff, int n, int c0, int columns)
    {
        fixed (double* ps0 = s)
        {
            double* ps = ps0 + sOff;
            int w = Vector<double>.Count;
            for (int i = i0; i < end; i++)
            {
                double* x = a + ((long)(distinct is null ? i : distinct[i - rowStart + 1]) * sai);
                double* y = c + ((long)i * n), o = ps + ((long)i * n);
                for (int j = c0, stop = c0 + columns; j < stop;)
                {
                    // One part of the concatenation at a time: columns [j, segment) read x from column j mod k on.
                    int q = j % k, segment = Math.Min(stop, j + (k - q));
                    if (sap == 1 && Vector.IsHardwareAccelerated)
                    {
                        for (; j + w <= segment; j += w, q += w)
                        {
                            *(Vector<double>*)(o + j) = *(Vector<double>*)(x + q) + *(Vector<double>*)(y + j);
                        }
                    }

                    for (; j < segment; j++, q++)
                    {
                        o[j] = x[(long)q * sap] + y[j];
                    }
                }
            }
        }
    }

    private static void Copy(double* src, int lds, double* dst, int ldd, int rows, int width)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int q = 0; q < width; q++)
            {
                dst[(r * ldd) + q] = src[(r * lds) + q];
            }
        }
    }

    /// <summary>A 4×12 tile (AVX): twelve vector sums in registers over one panel (12 multiplies, 12 adds, 7 loads per step).</summary>
    [MethodImpl(Jit.Optimized)]
    private static void Tile4x3(double* a0, double* a1, double* a2, double* a3, int sap, double* b, int depth, double* c, int ldc, bool first)
    {
        int w = Vector<double>.Count, stride = 3 * w;
        Vector<double> c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32;
        double* r1 = c + ldc, r2 = c + (2 * ldc), r3 = c + (3 * ldc);
        if (first)
        {
            c00 = c01 = c02 = c10 = c11 = c12 = c20 = c21 = c22 = c30 = c31 = c32 = Vector<double>.Zero;
        }
        else
        {
            (c00, c01, c02) = (*(Vector<double>*)c, *(Vector<double>*)(c + w), *(Vector<double>*)(c + (2 * w)));
            (c10, c11, c12) = (*(Vector<double>*)r1, *(Vector<double>*)(r1 + w), *(Vector<double>*)(r1 + (2 * w)));
            (c20, c21, c22) = (*(Vector<double>*)r2, *(Vector<double>*)(r2 + w), *(Vector<double>*)(r2 + (2 * w)));
            (c30, c31, c32) = (*(Vector<double>*)r3, *(Vector<double>*)(r3 + w), *(Vector<double>*)(r3 + (2 * w)));
        }

        for (int p = 0; p < depth; p++)
        {
            var b0 = *(Vector<double>*)b;
            var b1 = *(Vector<double>*)(b + w);
            var b2 = *(Vector<double>*)(b + (2 * w));
            var x = new Vector<double>(*a0);
            c00 += x * b0;
            c01 += x * b1;
            c02 += x * b2;
            x = new Vector<double>(*a1);
            c10 += x * b0;
            c11 += x * b1;
            c12 += x * b2;
            x = new Vector<double>(*a2);
            c20 += x * b0;
            c21 += x * b1;
            c22 += x * b2;
            x = new Vector<double>(*a3);
            c30 += x * b0;
            c31 += x * b1;
            c32 += x * b2;
            a0 += sap;
            a1 += sap;
            a2 += sap;
            a3 += sap;
            b += stride;
        }

        (*(Vector<double>*)c, *(Vector<double>*)(c + w), *(Vector<double>*)(c + (2 * w))) = (c00, c01, c02);
        (*(Vector<double>*)r1, *(Vector<double>*)(r1 + w), *(Vector<double>*)(r1 + (2 * w))) = (c10, c11, c12);
        (*(Vector<double>*)r2, *(Vector<double>*)(r2 + w), *(Vector<double>*)(r2 + (2 * w))) = (c20, c21, c22);
        (*(Vector<double>*)r3, *(Vector<double>*)(r3 + w), *(Vector<double>*)(r3 + (2 * w))) = (c30, c31, c32);
    }

    /// <summary>The last strip when it is two vectors wide (e.g. the 8 columns left of n = 20 … 24).</summary>
    [MethodImpl(Jit.Optimized)]
    private static void Tile4x2(double* a0, double* a1, double* a2, double* a3, int sap, double* b, int depth, double* c, int ldc, bool first)
    {
        int w = Vector<double>.Count, stride = 3 * w;
        Vector<double> c00, c01, c10, c11, c20, c21, c30, c31;
        double* r1 = c + ldc, r2 = c + (2 * ldc), r3 = c + (3 * ldc);
        if (first)
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = Vector<double>.Zero;
        }
        else
        {
            (c00, c01, c10, c11) = (*(Vector<double>*)c, *(Vector<double>*)(c + w), *(Vector<double>*)r1, *(Vector<double>*)(r1 + w));
            (c20, c21, c30, c31) = (*(Vector<double>*)r2, *(Vector<double>*)(r2 + w), *(Vector<double>*)r3, *(Vector<double>*)(r3 + w));
        }

        for (int p = 0; p < depth; p++)
        {
            var b0 = *(Vector<double>*)b;
            var b1 = *(Vector<double>*)(b + w);
            var x = new Vector<double>(*a0);
            c00 += x * b0;
            c01 += x * b1;
            x = new Vector<double>(*a1);
            c10 += x * b0;
            c11 += x * b1;
            x = new Vector<double>(*a2);
            c20 += x * b0;
            c21 += x * b1;
            x = new Vector<double>(*a3);
            c30 += x * b0;
            c31 += x * b1;
            a0 += sap;
            a1 += sap;
            a2 += sap;
            a3 += sap;
            b += stride;
        }

        (*(Vector<double>*)c, *(Vector<double>*)(c + w), *(Vector<double>*)r1, *(Vector<double>*)(r1 + w)) = (c00, c01, c10, c11);
        (*(Vector<double>*)r2, *(Vector<double>*)(r2 + w), *(Vector<double>*)r3, *(Vector<double>*)(r3 + w)) = (c20, c21, c30, c31);
    }

    /// <summary>The last strip when it is one vector wide (e.g. the 2 columns left of n = 50).</summary>
    [MethodImpl(Jit.Optimized)]
    private static void Tile4x1(double* a0, double* a1, double* a2, double* a3, int sap, double* b, int depth, double* c, int ldc, bool first)
    {
        int stride = 3 * Vector<double>.Count;
        Vector<double> c0, c1, c2, c3;
        if (first)
        {
            c0 = c1 = c2 = c3 = Vector<double>.Zero;
        }
        else
        {
            (c0, c1, c2, c3) = (*(Vector<double>*)c, *(Vector<double>*)(c + ldc), *(Vector<double>*)(c + (2 * ldc)), *(Vector<double>*)(c + (3 * ldc)));
        }

        for (int p = 0; p < depth; p++)
        {
            var b0 = *(Vector<double>*)b;
            c0 += new Vector<double>(*a0) * b0;
            c1 += new Vector<double>(*a1) * b0;
            c2 += new Vector<double>(*a2) * b0;
            c3 += new Vector<double>(*a3) * b0;
            a0 += sap;
            a1 += sap;
            a2 += sap;
            a3 += sap;
            b += stride;
        }

        (*(Vector<double>*)c, *(Vector<double>*)(c + ldc), *(Vector<double>*)(c + (2 * ldc)), *(Vector<double>*)(c + (3 * ldc))) = (c0, c1, c2, c3);
    }

    /// <summary>Copies the [rows, cols] matrix stored transposed at <paramref name="off"/> (element (r, c) at off + c·rows + r) into row-major <paramref name="dst"/>.</summary>
    [MethodImpl(Jit.Optimized)]
    public static void PackTransposed<T>(T[] src, int off, int rows, int cols, T[] dst)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                dst[(r * cols) + c] = src[off + (c * rows) + r];
            }
        }
    }
}
