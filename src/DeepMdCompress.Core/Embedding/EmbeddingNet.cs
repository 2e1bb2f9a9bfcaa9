using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using System.Runtime.CompilerServices;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Embedding;

/// <summary>
/// A scalar-input embedding net (input width 1) with its value and first and second derivatives with respect
/// to the input, per output channel — what deepmd-kit's <c>_make_data</c> computes with its
/// <c>UnaggregatedDy(2)Dx(S)</c> ops (docs/tables.md#embedding-nets). Arithmetic is in double; float32 weights are widened exactly.
/// </summary>
public sealed class EmbeddingNet
{
    private const int Chunk = 64;
    private readonly EmbeddingLayer[] _layers;

    public EmbeddingNet(string name, EmbeddingActivation activation, DataType precision, IReadOnlyList<EmbeddingLayer> layers, EmbeddingNetInfo? info = null,
        GraphGelu? graphGelu = null)
    {
        if (graphGelu is not null && activation != EmbeddingActivation.GeluTf)
        {
            throw new ArgumentException("graph gelu constants belong to a gelu_tf net", nameof(graphGelu));
        }

        GraphGelu = graphGelu;
        if (layers is null || layers.Count == 0)
        {
            throw new ArgumentException("an embedding net needs at least one layer", nameof(layers));
        }

        if (precision is not (DataType.DtDouble or DataType.DtFloat))
        {
            throw new ArgumentOutOfRangeException(nameof(precision), "an embedding net is float64 or float32");
        }

        if (layers[0].InputWidth != 1)
        {
            throw new ArgumentException($"the first layer takes {layers[0].InputWidth} inputs; a tabulated net has one scalar input", nameof(layers));
        }

        for (int l = 1; l < layers.Count; l++)
        {
            if (layers[l].InputWidth != layers[l - 1].OutputWidth)
            {
                throw new ArgumentException($"layer {l + 1} takes {layers[l].InputWidth} inputs but layer {l} gives {layers[l - 1].OutputWidth}", nameof(layers));
            }
        }

        Name = name ?? throw new ArgumentNullException(nameof(name));
        Activation = activation;
        Precision = precision;
        Info = info;
        _layers = layers.ToArray();
        MaxWidth = _layers.Max(l => l.OutputWidth);
    }

    /// <summary>deepmd-kit's table key (<c>filter_{i}_net_{j}</c>, ...).</summary>
    public string Name { get; }

    public EmbeddingActivation Activation { get; }

    /// <summary>For gelu_tf: the gelu constants as the graph holds them (values are computed with them; derivatives with deepmd-kit's ops').</summary>
    public GraphGelu? GraphGelu { get; }

    /// <summary>DT_DOUBLE or DT_FLOAT: the dtype of the weights, which is also the table's dtype (docs/tables.md#embedding-nets).</summary>
    public DataType Precision { get; }

    public bool IsFloat32 => Precision == DataType.DtFloat;

    /// <summary>Where the net's weights are in the graph (null for a net built in memory).</summary>
    public EmbeddingNetInfo? Info { get; }

    public IReadOnlyList<EmbeddingLayer> Layers => _layers;

    /// <summary>L, the width of the last layer (deepmd-kit's <c>last_layer_size</c>).</summary>
    public int LastLayerSize => _layers[_layers.Length - 1].OutputWidth;

    internal int MaxWidth { get; }

    /// <summary>Value and derivatives at one input; each span has <see cref="LastLayerSize"/> elements (<paramref name="secondDerivative"/> may be empty).</summary>
    public void Evaluate(double x, Span<double> value, Span<double> firstDerivative, Span<double> secondDerivative)
    {
        Span<double> xs = stackalloc double[1];
        xs[0] = x;
        Evaluate(xs, value, firstDerivative, secondDerivative);
    }

    /// <summary>
    /// Value and derivatives at many inputs, row-major [x.Length, LastLayerSize]. Pass an empty
    /// <paramref name="secondDerivative"/> (or <paramref name="firstDerivative"/>) to skip that work.
    /// </summary>
    public void Evaluate(ReadOnlySpan<double> x, Span<double> value, Span<double> firstDerivative, Span<double> secondDerivative)
    {
        using var workspace = new Workspace(this);
        Evaluate(x, value, firstDerivative, secondDerivative, workspace);
    }

    [MethodImpl(Jit.Optimized)]
    internal void Evaluate(ReadOnlySpan<double> x, Span<double> value, Span<double> firstDerivative, Span<double> secondDerivative, Workspace ws)
    {
        int n = x.Length, width = LastLayerSize;
        bool wantD1 = !firstDerivative.IsEmpty || !secondDerivative.IsEmpty;
        bool wantD2 = !secondDerivative.IsEmpty;
        Check(value, n * width, nameof(value));
        if (!firstDerivative.IsEmpty)
        {
            Check(firstDerivative, n * width, nameof(firstDerivative));
        }

        if (wantD2)
        {
            Check(secondDerivative, n * width, nameof(secondDerivative));
        }

        for (int start = 0; start < n; start += Chunk)
        {
            int m = Math.Min(Chunk, n - start);
            EvaluateChunk(x.Slice(start, m), ws, wantD1, wantD2);
            int count = m * width;
            new ReadOnlySpan<double>(ws.CurV, 0, count).CopyTo(value.Slice(start * width, count));
            if (!firstDerivative.IsEmpty)
            {
                new ReadOnlySpan<double>(ws.Cur1, 0, count).CopyTo(firstDerivative.Slice(start * width, count));
            }

            if (wantD2)
            {
                new ReadOnlySpan<double>(ws.Cur2, 0, count).CopyTo(secondDerivative.Slice(start * width, count));
            }
        }
    }

    private static void Check(Span<double> span, int needed, string name)
    {
        if (span.Length != needed)
        {
            throw new ArgumentException($"{name} must have {needed} elements (inputs × last layer size), it has {span.Length}", name);
        }
    }

    /// <summary>Runs the layers on up to <see cref="Chunk"/> inputs; the result is left in ws.Cur* as [m, LastLayerSize].</summary>
    [MethodImpl(Jit.Optimized)]
    private void EvaluateChunk(ReadOnlySpan<double> x, Workspace ws, bool wantD1, bool wantD2)
    {
        int m = x.Length;
        for (int i = 0; i < m; i++)
        {
            ws.CurV[i] = x[i];
            ws.Cur1[i] = 1.0; // dx/dx
            ws.Cur2[i] = 0.0;
        }

        // tanh, the usual activation, runs on vectors throughout (its derivatives need only its value).
        bool tanhDone = Activation == EmbeddingActivation.Tanh && GraphGelu is null;
        int dIn = 1;
        foreach (var layer in _layers)
        {
            int dOut = layer.OutputWidth;
            MatMul(ws.CurV, ws.Cur1, ws.Cur2, m, dIn, layer.Weights, dOut, ws.NxtV, ws.Nxt1, ws.Nxt2, wantD1, wantD2);
            var bias = layer.Bias;
            var kind = layer.Kind;

            if (tanhDone)
            {
                TanhLayerEpilogue(ws, m, dIn, dOut, bias, kind, wantD1, wantD2);
            }
            else
            {
                LayerEpilogue(ws, m, dIn, dOut, bias, kind, wantD1, wantD2);
            }

            ws.Swap();
            dIn = dOut;
        }
    }

    /// <summary>Any other activation after its product, element by element: bias, φ, the chain rule of its closed forms, the residual input.</summary>
    [MethodImpl(Jit.Optimized)]
    private void LayerEpilogue(Workspace ws, int m, int dIn, int dOut, double[] bias, EmbeddingLayerKind kind, bool wantD1, bool wantD2)
    {
        for (int i = 0; i < m; i++)
        {
            int row = i * dOut, inRow = i * dIn;
            for (int k = 0; k < dOut; k++)
            {
                int o = row + k;
                double pre = ws.NxtV[o] + bias[k];
                double y = GraphGelu is { } gelu ? gelu.Value(pre) : Activations.Value(Activation, pre);
                double v = y, d1 = 0, d2 = 0;
                if (wantD1)
                {
                    // The chain rule of UnaggregatedDyDx / Dy2Dx: y′ = φ′·(W·x′), y″ = φ′·(W·x″) + φ″·(W·x′)².
                    Activations.Derivatives(Activation, pre, y, out double g, out double gg);
                    double a1 = ws.Nxt1[o];
                    d1 = g * a1;
                    if (wantD2)
                    {
                        d2 = g * ws.Nxt2[o] + gg * (a1 * a1);
                    }
                }

                if (kind != EmbeddingLayerKind.Plain)
                {
                    int r = inRow + (k < dIn ? k : k - dIn);
                    v += ws.CurV[r];
                    d1 += ws.Cur1[r];
                    d2 += ws.Cur2[r];
                }

                ws.NxtV[o] = v;
                ws.Nxt1[o] = d1;
                ws.Nxt2[o] = d2;
            }
        }
    }

    /// <summary>
    /// A tanh layer after its product, on vectors: bias, tanh, then the chain rule with tanh′ = 1 − y² and tanh″ =
    /// −2y·tanh′ (the closed forms of <see cref="Activations.Derivatives"/>) and the residual input. The operations and
    /// their order are the scalar loop's, so every element gets the same bits whichever lane computes it.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    private static unsafe void TanhLayerEpilogue(Workspace ws, int m, int dIn, int dOut, double[] bias, EmbeddingLayerKind kind, bool wantD1, bool wantD2)
    {
        int vc = Vector.IsHardwareAccelerated ? Vector<double>.Count : int.MaxValue;
        fixed (double* pb = bias, nv = ws.NxtV, n1 = ws.Nxt1, n2 = ws.Nxt2, cv = ws.CurV, c1 = ws.Cur1, c2 = ws.Cur2)
        {
            for (int i = 0; i < m; i++)
            {
                double* yv = nv + i * dOut, y1 = n1 + i * dOut, y2 = n2 + i * dOut;
                int k = 0;
                for (; k + vc <= dOut; k += vc)
                {
                    *(Vector<double>*)(yv + k) += *(Vector<double>*)(pb + k);
                }

                for (; k < dOut; k++)
                {
                    yv[k] += pb[k];
                }

                Activations.Tanh(new ReadOnlySpan<double>(yv, dOut), new Span<double>(yv, dOut));

                // The residual input of output k: x[k] (same width), x[k mod dIn] (doubled width), none (plain).
                double* xv = cv + i * dIn, x1 = c1 + i * dIn, x2 = c2 + i * dIn;
                if (kind == EmbeddingLayerKind.ResidualDoubled)
                {
                    Segment(yv, y1, y2, xv, x1, x2, 0, dIn, vc, true, wantD1, wantD2);
                    Segment(yv + dIn, y1 + dIn, y2 + dIn, xv, x1, x2, 0, dIn, vc, true, wantD1, wantD2);
                }
                else
                {
                    Segment(yv, y1, y2, xv, x1, x2, 0, dOut, vc, kind == EmbeddingLayerKind.Residual, wantD1, wantD2);
                }
            }
        }
    }

    /// <summary>Outputs [k0, k1) of one row: y, y′, y″ in place from tanh's value and the products, plus x[k] where residual.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Segment(double* yv, double* y1, double* y2, double* xv, double* x1, double* x2, int k0, int k1, int vc,
        bool residual, bool wantD1, bool wantD2)
    {
        int k = k0;
        for (; k + vc <= k1; k += vc)
        {
            var y = *(Vector<double>*)(yv + k);
            var v = y;
            var d1 = Vector<double>.Zero;
            var d2 = Vector<double>.Zero;
            if (wantD1)
            {
                var g = Vector<double>.One - y * y;
                var a1 = *(Vector<double>*)(y1 + k);
                d1 = g * a1;
                if (wantD2)
                {
                    var gg = new Vector<double>(-2.0) * y * g;
                    d2 = g * *(Vector<double>*)(y2 + k) + gg * (a1 * a1);
                }
            }

            if (residual)
            {
                v += *(Vector<double>*)(xv + k);
                d1 += *(Vector<double>*)(x1 + k);
                d2 += *(Vector<double>*)(x2 + k);
            }

            *(Vector<double>*)(yv + k) = v;
            if (wantD1)
            {
                *(Vector<double>*)(y1 + k) = d1;
            }

            if (wantD2)
            {
                *(Vector<double>*)(y2 + k) = d2;
            }
        }

        for (; k < k1; k++)
        {
            double y = yv[k], v = y, d1 = 0, d2 = 0;
            if (wantD1)
            {
                Activations.Derivatives(EmbeddingActivation.Tanh, double.NaN, y, out double g, out double gg);
                double a1 = y1[k];
                d1 = g * a1;
                if (wantD2)
                {
                    d2 = g * y2[k] + gg * (a1 * a1);
                }
            }

            if (residual)
            {
                v += xv[k];
                d1 += x1[k];
                d2 += x2[k];
            }

            yv[k] = v;
            if (wantD1)
            {
                y1[k] = d1;
            }

            if (wantD2)
            {
                y2[k] = d2;
            }
        }
    }

    /// <summary>out[i,:] = Σ_j in[i,j]·W[j,:] for the value and (when wanted) both derivative streams, which share each W row.</summary>
    [MethodImpl(Jit.Optimized)]
    private static void MatMul(double[] inV, double[] in1, double[] in2, int m, int dIn, double[] w, int dOut,
        double[] outV, double[] out1, double[] out2, bool wantD1, bool wantD2)
    {
        if (wantD2)
        {
            MatMul<Yes, Yes>(inV, in1, in2, m, dIn, w, dOut, outV, out1, out2);
        }
        else if (wantD1)
        {
            MatMul<Yes, No>(inV, in1, in2, m, dIn, w, dOut, outV, out1, out2);
        }
        else
        {
            MatMul<No, No>(inV, in1, in2, m, dIn, w, dOut, outV, out1, out2);
        }
    }

    /// <summary>
    /// Register-blocked product: for each input row and block of outputs the sums over j stay in registers (four
    /// vectors per stream with one or two streams, two with three, then one). Each output is still summed in j order, so the
    /// result does not depend on the vector width.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    private static unsafe void MatMul<TD1, TD2>(double[] inV, double[] in1, double[] in2, int m, int dIn, double[] w, int dOut,
        double[] outV, double[] out1, double[] out2)
        where TD1 : struct, IFlag
        where TD2 : struct, IFlag
    {
        bool d1 = default(TD1).Value, d2 = default(TD2).Value;
        int vc = Vector<double>.Count;
        bool simd = Vector.IsHardwareAccelerated;
        fixed (double* pw = w, piv = inV, pi1 = in1, pi2 = in2, pov = outV, po1 = out1, po2 = out2)
        {
            for (int i = 0; i < m; i++)
            {
                double* xv = piv + i * dIn, x1 = pi1 + i * dIn, x2 = pi2 + i * dIn;
                double* ov = pov + i * dOut, o1 = po1 + i * dOut, o2 = po2 + i * dOut;
                int k = 0;
                if (simd && !d2)
                {
                    for (; k + 4 * vc <= dOut; k += 4 * vc)
                    {
                        Vector<double> v0 = Vector<double>.Zero, v1 = Vector<double>.Zero, v2 = Vector<double>.Zero, v3 = Vector<double>.Zero;
                        Vector<double> a0 = Vector<double>.Zero, a1 = Vector<double>.Zero, a2 = Vector<double>.Zero, a3 = Vector<double>.Zero;
                        double* wr = pw + k;
                        for (int j = 0; j < dIn; j++, wr += dOut)
                        {
                            var w0 = *(Vector<double>*)wr;
                            var w1 = *(Vector<double>*)(wr + vc);
                            var w2 = *(Vector<double>*)(wr + 2 * vc);
                            var w3 = *(Vector<double>*)(wr + 3 * vc);
                            var bv = new Vector<double>(xv[j]);
                            v0 += bv * w0;
                            v1 += bv * w1;
                            v2 += bv * w2;
                            v3 += bv * w3;
                            if (d1)
                            {
                                var b1 = new Vector<double>(x1[j]);
                                a0 += b1 * w0;
                                a1 += b1 * w1;
                                a2 += b1 * w2;
                                a3 += b1 * w3;
                            }
                        }

                        *(Vector<double>*)(ov + k) = v0;
                        *(Vector<double>*)(ov + k + vc) = v1;
                        *(Vector<double>*)(ov + k + 2 * vc) = v2;
                        *(Vector<double>*)(ov + k + 3 * vc) = v3;
                        if (d1)
                        {
                            *(Vector<double>*)(o1 + k) = a0;
                            *(Vector<double>*)(o1 + k + vc) = a1;
                            *(Vector<double>*)(o1 + k + 2 * vc) = a2;
                            *(Vector<double>*)(o1 + k + 3 * vc) = a3;
                        }
                    }
                }

                if (simd)
                {
                    for (; k + 2 * vc <= dOut; k += 2 * vc)
                    {
                        Vector<double> v0 = Vector<double>.Zero, v1 = Vector<double>.Zero;
                        Vector<double> a0 = Vector<double>.Zero, a1 = Vector<double>.Zero;
                        Vector<double> c0 = Vector<double>.Zero, c1 = Vector<double>.Zero;
                        double* wr = pw + k;
                        for (int j = 0; j < dIn; j++, wr += dOut)
                        {
                            var w0 = *(Vector<double>*)wr;
                            var w1 = *(Vector<double>*)(wr + vc);
                            var bv = new Vector<double>(xv[j]);
                            v0 += bv * w0;
                            v1 += bv * w1;
                            if (d1)
                            {
                                var b1 = new Vector<double>(x1[j]);
                                a0 += b1 * w0;
                                a1 += b1 * w1;
                            }

                            if (d2)
                            {
                                var b2 = new Vector<double>(x2[j]);
                                c0 += b2 * w0;
                                c1 += b2 * w1;
                            }
                        }

                        *(Vector<double>*)(ov + k) = v0;
                        *(Vector<double>*)(ov + k + vc) = v1;
                        if (d1)
                        {
                            *(Vector<double>*)(o1 + k) = a0;
                            *(Vector<double>*)(o1 + k + vc) = a1;
                        }

                        if (d2)
                        {
                            *(Vector<double>*)(o2 + k) = c0;
                            *(Vector<double>*)(o2 + k + vc) = c1;
                        }
                    }
                }

                if (simd)
                {
                    for (; k + vc <= dOut; k += vc)
                    {
                        Vector<double> v0 = Vector<double>.Zero, a0 = Vector<double>.Zero, c0 = Vector<double>.Zero;
                        double* wr = pw + k;
                        for (int j = 0; j < dIn; j++, wr += dOut)
                        {
                            var w0 = *(Vector<double>*)wr;
                            v0 += new Vector<double>(xv[j]) * w0;
                            if (d1)
                            {
                                a0 += new Vector<double>(x1[j]) * w0;
                            }

                            if (d2)
                            {
                                c0 += new Vector<double>(x2[j]) * w0;
                            }
                        }

                        *(Vector<double>*)(ov + k) = v0;
                        if (d1)
                        {
                            *(Vector<double>*)(o1 + k) = a0;
                        }

                        if (d2)
                        {
                            *(Vector<double>*)(o2 + k) = c0;
                        }
                    }
                }

                for (; k < dOut; k++)
                {
                    double sv = 0, s1 = 0, s2 = 0;
                    double* wk = pw + k;
                    for (int j = 0; j < dIn; j++, wk += dOut)
                    {
                        sv += xv[j] * *wk;
                        if (d1)
                        {
                            s1 += x1[j] * *wk;
                        }

                        if (d2)
                        {
                            s2 += x2[j] * *wk;
                        }
                    }

                    ov[k] = sv;
                    if (d1)
                    {
                        o1[k] = s1;
                    }

                    if (d2)
                    {
                        o2[k] = s2;
                    }
                }
            }
        }
    }

    private interface IFlag
    {
        bool Value { get; }
    }

    private readonly struct Yes : IFlag
    {
        public bool Value => true;
    }

    private readonly struct No : IFlag
    {
        public bool Value => false;
    }

    public override string ToString() => $"{Name} ({string.Join("-", _layers.Select(l => l.OutputWidth))}, {Activations.Name(Activation)})";

    /// <summary>Scratch buffers for <see cref="Chunk"/> inputs at the widest layer, rented from the shared array pool; one thread at a time.</summary>
    internal sealed class Workspace : IDisposable
    {
        public Workspace(EmbeddingNet net)
        {
            int size = Chunk * Math.Max(1, net.MaxWidth);
            CurV = Rent(size);
            Cur1 = Rent(size);
            Cur2 = Rent(size);
            NxtV = Rent(size);
            Nxt1 = Rent(size);
            Nxt2 = Rent(size);
        }

        public double[] CurV, Cur1, Cur2, NxtV, Nxt1, Nxt2;

        public void Swap()
        {
            (CurV, NxtV) = (NxtV, CurV);
            (Cur1, Nxt1) = (Nxt1, Cur1);
            (Cur2, Nxt2) = (Nxt2, Cur2);
        }

        public void Dispose()
        {
            foreach (var a in new[] { CurV, Cur1, Cur2, NxtV, Nxt1, Nxt2 })
            {
                ArrayPool<double>.Shared.Return(a);
            }

            CurV = Cur1 = Cur2 = NxtV = Nxt1 = Nxt2 = Array.Empty<double>();
        }

        // Pooled arrays are not cleared: every buffer is written before it is read.
        internal static double[] Rent(int size) => ArrayPool<double>.Shared.Rent(size);
    }
}
