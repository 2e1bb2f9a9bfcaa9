using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using Xunit;
using static DeepMdCompress.Core.Tests.TestGraph;

namespace DeepMdCompress.Core.Tests;

/// <summary>Einsum, MatrixDiagV3, Split, SplitV, Where and InvertPermutation against loops written out by hand and TensorFlow's documented examples.</summary>
public class EvaluatorStructureOpTests
{
    private static (string, AttrValue) S(string key, string v) => (key, new AttrValue { S = Google.Protobuf.ByteString.CopyFromUtf8(v) });

    private static double[] Random(int seed, int count)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
    }

    private static TensorValue Einsum(string equation, params TensorValue[] operands)
    {
        var g = new TestGraph();
        var names = operands.Select((t, i) => g.Const("x" + i, t)).ToArray();
        g.Op("e", "Einsum", names, S("equation", equation), Int("N", operands.Length), T("T", operands[0].DType));
        return g.Run("e");
    }

    private static void Close(double[] expected, TensorValue actual, int[] shape)
    {
        Assert.Equal(shape, actual.Shape);
        var a = actual.AsDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - a[i]) <= 1e-14 * Math.Max(1, Math.Abs(expected[i])), $"element {i}: {a[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void Einsum_contracts_the_equations_se_e3_graphs_use()
    {
        int n = 3, si = 4, sj = 5, m = 3, l = 2;
        var a = Random(1, n * si * m);          // ijm
        var b = Random(2, n * sj * m);          // ikm
        var env = Random(3, n * si * sj);       // ijk
        var g = Random(4, n * si * sj * l);     // ijkm (m = L)
        var dy = Random(5, n * l);              // im

        var ijk = new double[n * si * sj];
        var im = new double[n * l];
        var ikm = new double[n * sj * m];
        var ijm = new double[n * si * m];
        var ijkm = new double[n * si * sj * l];
        var ijk2 = new double[n * si * sj];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < si; j++)
            {
                for (int k = 0; k < sj; k++)
                {
                    for (int c = 0; c < m; c++)
                    {
                        ijk[(i * si + j) * sj + k] += a[(i * si + j) * m + c] * b[(i * sj + k) * m + c];
                        ikm[(i * sj + k) * m + c] += env[(i * si + j) * sj + k] * a[(i * si + j) * m + c];
                        ijm[(i * si + j) * m + c] += env[(i * si + j) * sj + k] * b[(i * sj + k) * m + c];
                    }

                    for (int c = 0; c < l; c++)
                    {
                        im[i * l + c] += env[(i * si + j) * sj + k] * g[((i * si + j) * sj + k) * l + c];
                        ijkm[((i * si + j) * sj + k) * l + c] = dy[i * l + c] * env[(i * si + j) * sj + k];
                        ijk2[(i * si + j) * sj + k] += dy[i * l + c] * g[((i * si + j) * sj + k) * l + c];
                    }
                }
            }
        }

        Close(ijk, Einsum("ijm,ikm->ijk", Shapes.Of(a, n, si, m), Shapes.Of(b, n, sj, m)), new[] { n, si, sj });
        Close(im, Einsum("ijk,ijkm->im", Shapes.Of(env, n, si, sj), Shapes.Of(g, n, si, sj, l)), new[] { n, l });
        Close(ikm, Einsum("ijk,ijm->ikm", Shapes.Of(env, n, si, sj), Shapes.Of(a, n, si, m)), new[] { n, sj, m });
        Close(ijm, Einsum("ijk,ikm->ijm", Shapes.Of(env, n, si, sj), Shapes.Of(b, n, sj, m)), new[] { n, si, m });
        Close(ijkm, Einsum("im,ijk->ijkm", Shapes.Of(dy, n, l), Shapes.Of(env, n, si, sj)), new[] { n, si, sj, l });
        Close(ijk2, Einsum("im,ijkm->ijk", Shapes.Of(dy, n, l), Shapes.Of(g, n, si, sj, l)), new[] { n, si, sj });
    }

    [Fact]
    public void Einsum_handles_diagonals_implicit_outputs_transposes_and_ellipsis_broadcasting()
    {
        var sq = new[] { 1.0, 2, 3, 4, 5, 6, 7, 8, 9 };
        Close(new[] { 1.0, 5, 9 }, Einsum("ii->i", Shapes.Of(sq, 3, 3)), new[] { 3 });
        Close(new[] { 15.0 }, Einsum("ii", Shapes.Of(sq, 3, 3)), Array.Empty<int>());
        Close(new[] { 1.0, 4, 7, 2, 5, 8, 3, 6, 9 }, Einsum("ij->ji", Shapes.Of(sq, 3, 3)), new[] { 3, 3 });
        Close(new[] { 3.0, 4, 6, 8 }, Einsum("i,j->ij", Shapes.Of(new[] { 1.0, 2 }, 2), Shapes.Of(new[] { 3.0, 4 }, 2)), new[] { 2, 2 });

        // Implicit output: the labels that occur once, alphabetically ("ij,jk" is "ik"; "ba" is the transpose "ab").
        var x = Random(6, 6);
        var y = Random(7, 12);
        var xy = new double[8];
        for (int i = 0; i < 2; i++)
        {
            for (int k = 0; k < 4; k++)
            {
                for (int j = 0; j < 3; j++)
                {
                    xy[i * 4 + k] += x[i * 3 + j] * y[j * 4 + k];
                }
            }
        }

        Close(xy, Einsum("ij,jk", Shapes.Of(x, 2, 3), Shapes.Of(y, 3, 4)), new[] { 2, 4 });
        Close(new[] { x[0], x[3], x[1], x[4], x[2], x[5] }, Einsum("ba", Shapes.Of(x, 2, 3)), new[] { 3, 2 });

        // Batched products with broadcast batch axes: [2, 1] against [3] gives [2, 3].
        var p = Random(8, 2 * 1 * 2 * 3);
        var q = Random(9, 3 * 3 * 2);
        var pq = new double[2 * 3 * 2 * 2];
        for (int b0 = 0; b0 < 2; b0++)
        {
            for (int b1 = 0; b1 < 3; b1++)
            {
                for (int i = 0; i < 2; i++)
                {
                    for (int k = 0; k < 2; k++)
                    {
                        for (int j = 0; j < 3; j++)
                        {
                            pq[((b0 * 3 + b1) * 2 + i) * 2 + k] += p[(b0 * 2 + i) * 3 + j] * q[(b1 * 3 + j) * 2 + k];
                        }
                    }
                }
            }
        }

        Close(pq, Einsum("...ij,...jk->...ik", Shapes.Of(p, 2, 1, 2, 3), Shapes.Of(q, 3, 3, 2)), new[] { 2, 3, 2, 2 });

        var f = Einsum("ij,jk->ik", Shapes.Of(x.Select(v => (float)v).ToArray(), 2, 3), Shapes.Of(y.Select(v => (float)v).ToArray(), 3, 4));
        Assert.Equal(DataType.DtFloat, f.DType);
        Assert.True(xy.Zip((float[])f.Data, (e, a) => Math.Abs(e - a)).Max() < 1e-6);
    }

    [Fact]
    public void Einsum_refuses_mismatched_labels_and_ranks()
    {
        var m = Shapes.Of(new double[6], 2, 3);
        Assert.Throws<GraphExecutionException>(() => Einsum("ij,ij->i", m, Shapes.Of(new double[6], 3, 2)));
        Assert.Throws<GraphExecutionException>(() => Einsum("ijk->i", m));
        Assert.Throws<GraphExecutionException>(() => Einsum("ij->q", m));
    }

    private static TensorValue Diag(TensorValue diagonal, int[] k, int rows, int cols, double pad, string? align = null)
    {
        var g = new TestGraph();
        g.Const("d", diagonal);
        g.I("k", k, k.Length == 1 ? Array.Empty<int>() : new[] { 2 });
        g.I("r", new[] { rows });
        g.I("c", new[] { cols });
        g.D("p", new[] { pad });
        var attrs = new List<(string, AttrValue)> { T("T", DataType.DtDouble) };
        if (align is not null)
        {
            attrs.Add(S("align", align));
        }

        g.Op("m", "MatrixDiagV3", new[] { "d", "k", "r", "c", "p" }, attrs.ToArray());
        return g.Run("m");
    }

    [Fact]
    public void MatrixDiagV3_follows_tensorflows_documented_examples()
    {
        // tf.eye(3) as deepmd-kit's polar fitting writes it: ones on the main diagonal.
        Close(new[] { 1.0, 0, 0, 0, 1, 0, 0, 0, 1 }, Diag(Shapes.Of(new[] { 1.0, 1, 1 }, 3), new[] { 0 }, -1, -1, 0, "RIGHT_LEFT"), new[] { 3, 3 });

        // A band k = (-1, 1): superdiagonals right-aligned, subdiagonals left-aligned (RIGHT_LEFT, the default).
        var band = Shapes.Of(new[] { 0.0, 8, 9, 1, 2, 3, 4, 5, 0, 0, 2, 3, 6, 7, 9, 9, 1, 0 }, 2, 3, 3);
        var expected = new[] { 1.0, 8, 0, 4, 2, 9, 0, 5, 3, 6, 2, 0, 9, 7, 3, 0, 1, 9 };
        Close(expected, Diag(band, new[] { -1, 1 }, -1, -1, 0), new[] { 2, 3, 3 });
        var leftRight = Shapes.Of(new[] { 8.0, 9, 0, 1, 2, 3, 0, 4, 5, 2, 3, 0, 6, 7, 9, 0, 9, 1 }, 2, 3, 3);
        Close(expected, Diag(leftRight, new[] { -1, 1 }, -1, -1, 0, "LEFT_RIGHT"), new[] { 2, 3, 3 });

        // One subdiagonal in a 3×4 matrix padded with 9.
        Close(new[] { 9.0, 9, 9, 9, 1, 9, 9, 9, 9, 2, 9, 9 }, Diag(Shapes.Of(new[] { 1.0, 2 }, 2), new[] { -1 }, 3, 4, 9), new[] { 3, 4 });
        Assert.Throws<GraphExecutionException>(() => Diag(Shapes.Of(new[] { 1.0, 2, 3 }, 3), new[] { 0 }, 2, 2, 0));
    }

    [Fact]
    public void Split_and_SplitV_cut_along_an_axis()
    {
        var g = new TestGraph();
        g.D("v", Enumerable.Range(0, 12).Select(i => (double)i).ToArray(), 2, 6);
        g.I("axis", new[] { -1 });
        g.I("sizes", new[] { 1, -1, 2 }, 3);
        g.Op("s", "Split", new[] { "axis", "v" }, Int("num_split", 3), T("T", DataType.DtDouble));
        g.Op("sv", "SplitV", new[] { "v", "sizes", "axis" }, Int("num_split", 3), T("T", DataType.DtDouble), T("Tlen", DataType.DtInt32));
        var r = g.Run("s:0", "s:1", "s:2", "sv:0", "sv:1", "sv:2");
        Close(new[] { 0.0, 1, 6, 7 }, r[0], new[] { 2, 2 });
        Close(new[] { 2.0, 3, 8, 9 }, r[1], new[] { 2, 2 });
        Close(new[] { 4.0, 5, 10, 11 }, r[2], new[] { 2, 2 });
        Close(new[] { 0.0, 6 }, r[3], new[] { 2, 1 });
        Close(new[] { 1.0, 2, 3, 7, 8, 9 }, r[4], new[] { 2, 3 });
        Close(new[] { 4.0, 5, 10, 11 }, r[5], new[] { 2, 2 });

        g.Op("bad", "Split", new[] { "axis", "v" }, Int("num_split", 4), T("T", DataType.DtDouble));
        Assert.Throws<GraphExecutionException>(() => g.Run("bad"));
    }

    [Fact]
    public void Where_gives_row_major_coordinates_and_InvertPermutation_inverts()
    {
        var g = new TestGraph();
        g.Const("b", Shapes.Of(new[] { true, false, true, false, false, true }, 2, 3));
        g.D("z", new[] { 0.0, 0 }, 2);
        g.I("perm", new[] { 2, 0, 1 }, 3);
        g.I("notperm", new[] { 0, 0, 1 }, 3);
        g.Op("w", "Where", new[] { "b" }, T("T", DataType.DtBool));
        g.Op("wz", "Where", new[] { "z" }, T("T", DataType.DtDouble));
        g.Op("inv", "InvertPermutation", new[] { "perm" }, T("T", DataType.DtInt32));
        g.Op("bad", "InvertPermutation", new[] { "notperm" }, T("T", DataType.DtInt32));
        var r = g.Run("w", "wz", "inv");
        Assert.Equal(DataType.DtInt64, r[0].DType);
        Assert.Equal(new[] { 3, 2 }, r[0].Shape);
        Assert.Equal(new long[] { 0, 0, 0, 2, 1, 2 }, (long[])r[0].Data);
        Assert.Equal(new[] { 0, 1 }, r[1].Shape);
        Assert.Equal(new[] { 1, 2, 0 }, (int[])r[2].Data);
        Assert.Contains("not a permutation", Assert.Throws<GraphExecutionException>(() => g.Run("bad")).Message);
    }
}
