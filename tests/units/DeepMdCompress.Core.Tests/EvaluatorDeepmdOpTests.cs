using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using Xunit;
using static DeepMdCompress.Core.Tests.TestGraph;

namespace DeepMdCompress.Core.Tests;

/// <summary>deepmd-kit's custom ops on hand-computed cases (docs/evaluator.md#the-op-set-and-where-its-semantics-come-from).</summary>
public class EvaluatorDeepmdOpTests
{
    private const double Tol = 1e-15;

    /// <summary>Adds a ProdEnvMat node with its seven inputs as constants and returns its name.</summary>
    private static string EnvMat(TestGraph g, string op, double[] coord, int[] types, int ntypes, double[]? box, int meshLength,
        float rcut, float rcutSmth, int[] sel, double avg = 0, double std = 1, DataType t = DataType.DtDouble)
    {
        int nall = types.Length;
        int ncomp = op == "ProdEnvMatR" ? 1 : 4;
        int ndescrpt = sel.Sum() * ncomp;
        var natoms = new[] { nall, nall }.Concat(Enumerable.Range(0, ntypes).Select(k => types.Count(x => x == k))).ToArray();
        TensorValue Real(double[] v, params int[] shape) => t == DataType.DtFloat ? Shapes.Of(v.Select(x => (float)x).ToArray(), shape) : Shapes.Of(v, shape);
        g.Const("coord", Real(coord, 1, nall * 3));
        g.I("type", types, 1, nall);
        g.I("natoms", natoms, natoms.Length);
        g.Const("box", Real(box ?? new double[9], 1, 9));
        g.I("mesh", new int[meshLength], meshLength);
        g.Const("avg", Real(Enumerable.Repeat(avg, ntypes * ndescrpt).ToArray(), ntypes, ndescrpt));
        g.Const("std", Real(Enumerable.Repeat(std, ntypes * ndescrpt).ToArray(), ntypes, ndescrpt));
        var inputs = new[] { "coord", "type", "natoms", "box", "mesh", "avg", "std" };
        if (op == "ProdEnvMatR")
        {
            return g.Op("env", op, inputs, F("rcut", rcut), F("rcut_smth", rcutSmth), Ints("sel", sel.Select(s => (long)s).ToArray()), T("T", t));
        }

        return g.Op("env", op, inputs, F("rcut_a", -1), F("rcut_r", rcut), F("rcut_r_smth", rcutSmth),
            Ints("sel_a", sel.Select(s => (long)s).ToArray()), Ints("sel_r", sel.Select(_ => 0L).ToArray()), T("T", t));
    }

    private static double[] D(TensorValue t) => (double[])t.Data;

    [Fact]
    public void EnvMatAOfTwoAtomsInsideRcutSmth()
    {
        var g = new TestGraph();
        EnvMat(g, "ProdEnvMatA", new[] { 0.0, 0, 0, 1, 0, 0 }, new[] { 0, 1 }, 2, null, 0, 4f, 2f, new[] { 1, 1 }, avg: 0.5, std: 2);
        var r = g.Run("env:0", "env:1", "env:2", "env:3");
        var descrpt = D(r[0]);
        var deriv = D(r[1]);
        Assert.Equal(new[] { 1, 16 }, r[0].Shape);

        // Centre 0: type-0 slot empty → −avg/std; type-1 slot holds atom 1: (1/r, x/r², y/r², z/r²) = (1, 1, 0, 0).
        Assert.Equal(new[] { -0.25, -0.25, -0.25, -0.25, 0.25, 0.25, -0.25, -0.25 }, descrpt.Take(8));

        // Centre 1 sees atom 0 at u = (−1, 0, 0) in its type-0 slot.
        Assert.Equal(new[] { 0.25, -0.75, -0.25, -0.25, -0.25, -0.25, -0.25, -0.25 }, descrpt.Skip(8));

        // Derivatives (÷ std) w.r.t. the centre, slot 1 of centre 0: d(1/r) = u·inr³ → (1,0,0); d(x/r²)/dx = 2x²/r⁴ − 1/r² = 1; d(y/r²)/dy = −1.
        var slot1 = deriv.Skip(12).Take(12).ToArray();
        Assert.Equal(new[] { 0.5, 0, 0, 0.5, 0, 0, 0, -0.5, 0, 0, 0, -0.5 }, slot1);
        Assert.All(deriv.Take(12), v => Assert.Equal(0.0, v));
        Assert.Equal(new[] { 0.0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 0, 0 }, D(r[2]));
        Assert.Equal(new[] { -1, 1, 0, -1 }, (int[])r[3].Data);
    }

    [Fact]
    public void PeriodicImagesOfTheAtomItselfAreNeighbours()
    {
        var g = new TestGraph();
        EnvMat(g, "ProdEnvMatA", new[] { 1.0, 5, 5 }, new[] { 0 }, 1, new[] { 3.0, 0, 0, 0, 10, 0, 0, 0, 10 }, 6, 3.5f, 0.5f, new[] { 4 });
        var r = g.Run("env:0", "env:2", "env:3");
        Assert.Equal(new[] { 0, 0, -1, -1 }, (int[])r[2].Data);
        var rij = D(r[1]);
        Assert.Equal(new[] { 0.0, 0, 0, 0 }, new[] { rij[1], rij[2], rij[4], rij[5] });
        Assert.Equal(0.0, rij[0] + rij[3], 15);
        Assert.Equal(3.0, Math.Abs(rij[0]), 15);

        // r = 3 inside the switch region: t = (3 − 0.5)/3, sw = t³(−6t² + 15t − 10) + 1, value (1/r)·sw.
        double t = (3 - 0.5) / (double)(3.5f - 0.5f);
        double sw = (t * t * t * ((-6 * t * t) + (15 * t) - 10)) + 1;
        Assert.Equal(sw / 3, D(r[0])[0], 15);
        Assert.Equal(sw * rij[0] / 9, D(r[0])[1], 15);
    }

    [Fact]
    public void AtomsAreWrappedAndSeeNeighboursAcrossTheBoundary()
    {
        var g = new TestGraph();
        EnvMat(g, "ProdEnvMatA", new[] { 13.5, 1, 1, 12.7, 1, 1 }, new[] { 0, 0 }, 1, new[] { 13.0, 0, 0, 0, 13, 0, 0, 0, 13 }, 6, 2f, 0.5f, new[] { 2 });
        var r = g.Run("env:2", "env:3");
        var rij = D(r[0]);

        // atom 0 wraps to x = 0.5; atom 1 at 12.7 is 0.8 away through the boundary (image at −0.3).
        Assert.Equal(-0.8, rij[0], 14);
        Assert.Equal(0.8, rij[6], 14);
        Assert.Equal(new[] { 1, -1, 0, -1 }, (int[])r[1].Data);
    }

    /// <summary>
    /// 700 random atoms in a triclinic periodic cell: the op's neighbour lists (ghost images, binned search)
    /// must hold exactly the atoms within rcut by minimum image, sorted by distance, with rij of that length.
    /// </summary>
    [Fact]
    public void NeighbourListsOfALargePeriodicSystemAreComplete()
    {
        var rng = new Random(5);
        int n = 700;
        var box = new[] { 15.0, 0, 0, 2.0, 14.0, 0, -1.5, 1.0, 16.0 };
        var coord = new double[3 * n];
        for (int i = 0; i < n; i++)
        {
            double f0 = (rng.NextDouble() * 1.2) - 0.1, f1 = rng.NextDouble(), f2 = rng.NextDouble(); // some atoms outside the cell
            for (int d = 0; d < 3; d++)
            {
                coord[(3 * i) + d] = (f0 * box[d]) + (f1 * box[3 + d]) + (f2 * box[6 + d]);
            }
        }

        const float rcut = 4.5f;
        var g = new TestGraph();
        EnvMat(g, "ProdEnvMatA", coord, new int[n], 1, box, 6, rcut, 1f, new[] { 200 });
        var r = g.Run("env:2", "env:3");
        var rij = D(r[0]);
        var nlist = (int[])r[1].Data;

        // Reference: minimum-image distances (the cell is wider than 2·rcut in every direction).
        var inv = Invert(box);
        for (int i = 0; i < n; i++)
        {
            var expected = new List<(double D, int J)>();
            for (int j = 0; j < n; j++)
            {
                if (j == i)
                {
                    continue;
                }

                var dx = new double[3];
                for (int d = 0; d < 3; d++)
                {
                    dx[d] = coord[(3 * j) + d] - coord[(3 * i) + d];
                }

                var f = new double[3];
                for (int a = 0; a < 3; a++)
                {
                    f[a] = (dx[0] * inv[0, a]) + (dx[1] * inv[1, a]) + (dx[2] * inv[2, a]);
                    f[a] -= Math.Round(f[a]);
                }

                double dist = 0;
                for (int d = 0; d < 3; d++)
                {
                    double c = (f[0] * box[d]) + (f[1] * box[3 + d]) + (f[2] * box[6 + d]);
                    dist += c * c;
                }

                if (Math.Sqrt(dist) < rcut)
                {
                    expected.Add((Math.Sqrt(dist), j));
                }
            }

            // Same neighbours; the op orders them by float32 distance, so near-ties may swap against double order.
            var actual = nlist.Skip(i * 200).Take(200).TakeWhile(j => j >= 0).ToArray();
            Assert.Equal(expected.Select(e => e.J).OrderBy(j => j), actual.OrderBy(j => j));
            var distance = expected.ToDictionary(e => e.J, e => e.D);
            double previous = 0;
            for (int s = 0; s < actual.Length; s++)
            {
                double len = Math.Sqrt(Enumerable.Range(0, 3).Sum(d => rij[(((i * 200) + s) * 3) + d] * rij[(((i * 200) + s) * 3) + d]));
                Assert.True(Math.Abs(distance[actual[s]] - len) < 1e-12, $"atom {i} slot {s}: {len} vs {distance[actual[s]]}");
                Assert.True(len >= previous * (1 - 1e-6), $"atom {i}: slot {s} is nearer than slot {s - 1}");
                previous = len;
            }
        }
    }

    private static double[,] Invert(double[] m)
    {
        var a = new double[3, 3];
        double det = (m[0] * ((m[4] * m[8]) - (m[5] * m[7]))) - (m[1] * ((m[3] * m[8]) - (m[5] * m[6]))) + (m[2] * ((m[3] * m[7]) - (m[4] * m[6])));
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                int i1 = (i + 1) % 3, i2 = (i + 2) % 3, j1 = (j + 1) % 3, j2 = (j + 2) % 3;
                a[j, i] = ((m[(3 * i1) + j1] * m[(3 * i2) + j2]) - (m[(3 * i1) + j2] * m[(3 * i2) + j1])) / det;
            }
        }

        return a; // rows r → fractional f = r·a
    }

    [Fact]
    public void ExtraNeighboursBeyondSelAreDroppedFarthestFirst()
    {
        var g = new TestGraph();
        EnvMat(g, "ProdEnvMatA", new[] { 0.0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1.5 }, new[] { 0, 0, 0, 0 }, 1, null, 0, 5f, 4f, new[] { 2 });
        var r = g.Run("env:3");
        Assert.Equal(new[] { 1, 3 }, ((int[])r.Data).Take(2));
    }

    /// <summary>
    /// docs/evaluator.md#numerics: rmin/rmax are float32 attrs and their difference is taken in float32;
    /// with rcut_smth = float32(1.8) this changes the value by ~1e-8 against a double difference.
    /// </summary>
    [Fact]
    public void SwitchUsesTheFloat32DifferenceOfTheCutoffs()
    {
        var g = new TestGraph();
        EnvMat(g, "ProdEnvMatR", new[] { 0.0, 0, 0, 3, 0, 0 }, new[] { 0, 0 }, 1, null, 0, 6f, 1.8f, new[] { 1 });
        double value = D(g.Run("env:0"))[0];
        double rmin = 1.8f, rmax = 6f;
        double Switch(double diff)
        {
            double u = (3 - rmin) / diff;
            return (u * u * u * ((-6 * u * u) + (15 * u) - 10)) + 1;
        }

        double withFloatDiff = Switch((float)(6f - 1.8f)) / 3;
        double withDoubleDiff = Switch(rmax - rmin) / 3;
        Assert.Equal(withFloatDiff, value, 15);
        Assert.True(Math.Abs(withDoubleDiff - value) > 1e-10, "the float32 difference must matter in this case");
        Assert.True(Math.Abs((Switch(6.0 - 1.8) / 3) - value) > 1e-10, "the float32 attrs must matter in this case");
    }

    /// <summary>A float graph (T = DT_FLOAT) runs the op in float32 and returns float tensors.</summary>
    [Fact]
    public void Float32EnvMatRunsInSinglePrecision()
    {
        var g = new TestGraph();
        EnvMat(g, "ProdEnvMatR", new[] { 0.0, 0, 0, 3, 0.1, 0 }, new[] { 0, 0 }, 1, null, 0, 6f, 1.8f, new[] { 1 }, t: DataType.DtFloat);
        var r = g.Run("env:0", "env:1");
        Assert.Equal(DataType.DtFloat, r[0].DType);
        float v = ((float[])r[0].Data)[0];
        float rr = (float)Math.Sqrt((3f * 3f) + (0.1f * 0.1f));
        float diff = 6f - 1.8f;
        float u = (rr - 1.8f) / diff;
        float sw = (u * u * u * ((-6f * u * u) + (15f * u) - 10f)) + 1f;
        Assert.True(Math.Abs(v - (sw / rr)) <= 2e-7 * Math.Abs(v), $"{v} vs {sw / rr}");
        var d = new TestGraph();
        EnvMat(d, "ProdEnvMatR", new[] { 0.0, 0, 0, 3, 0.1, 0 }, new[] { 0, 0 }, 1, null, 0, 6f, 1.8f, new[] { 1 });
        Assert.NotEqual((double)v, D(d.Run("env:0"))[0], 12);
    }

    [Fact]
    public void MixedTypeEnvMatSortsAllTypesTogether()
    {
        var g = new TestGraph();
        EnvMat(g, "ProdEnvMatAMix", new[] { 0.0, 0, 0, 2, 0, 0, 1, 0, 0 }, new[] { 0, 1, 0 }, 2, null, 0, 5f, 4f, new[] { 3 });
        var r = g.Run("env:3", "env:4", "env:5");
        var nlist = (int[])r[0].Data;
        Assert.Equal(new[] { 2, 1, -1 }, nlist.Take(3)); // nearest first regardless of type
        Assert.Equal(new[] { 0, 1, 2 }, ((int[])r[1].Data).Take(3)); // real neighbour types, ntypes for padding
        Assert.Equal(new[] { true, true, false }, ((bool[])r[2].Data).Take(3));

        var bad = new TestGraph();
        EnvMat(bad, "ProdEnvMatA", new[] { 0.0, 0, 0 }, new[] { 0 }, 1, null, 7, 5f, 4f, new[] { 1 });
        Assert.Equal("MixedTypesUnsupported", Assert.Throws<GraphExecutionException>(() => bad.Run("env:0")).ErrorId);
        var lammps = new TestGraph();
        EnvMat(lammps, "ProdEnvMatA", new[] { 0.0, 0, 0 }, new[] { 0 }, 1, null, 16, 5f, 4f, new[] { 1 });
        Assert.Equal("UnsupportedMesh", Assert.Throws<GraphExecutionException>(() => lammps.Run("env:0")).ErrorId);
        var odd = new TestGraph();
        EnvMat(odd, "ProdEnvMatA", new[] { 0.0, 0, 0 }, new[] { 0 }, 1, null, 5, 5f, 4f, new[] { 1 });
        Assert.Equal("InvalidMesh", Assert.Throws<GraphExecutionException>(() => odd.Run("env:0")).ErrorId);
    }

    /// <summary>A neighbour list inside the mesh tensor (length &gt; 16): ilist, numneigh, then the neighbours.</summary>
    [Fact]
    public void NeighbourListInTheMeshTensor()
    {
        var g = new TestGraph();
        // ilist [0, 1], numneigh [1, 0], neighbours of atom 0: [1]
        var mesh = new int[16].Concat(new[] { 0, 1, 1, 0, 1 }).ToArray();
        EnvMat(g, "ProdEnvMatA", new[] { 0.0, 0, 0, 1, 0, 0 }, new[] { 0, 0 }, 1, null, 0, 4f, 2f, new[] { 2 });
        g.Def.Node.Single(n => n.Name == "mesh").Attr["value"].Tensor = TestGraph.Proto(Shapes.Of(mesh, mesh.Length));
        var nlist = (int[])g.Run("env:3").Data;
        Assert.Equal(new[] { 1, -1, -1, -1 }, nlist); // atom 1's list is empty, so it has no neighbour
    }

    [Fact]
    public void ProdForceAndVirialOnAHandCase()
    {
        var g = new TestGraph();
        g.D("net", new[] { 1.0, 0, 0, 0, 0, 2, 0, 0 }, 1, 8);
        var inDeriv = new double[24];
        inDeriv[0] = 1;
        inDeriv[1] = 2;
        inDeriv[2] = 3; // centre 0, q 0
        inDeriv[12 + 3 + 1] = 1; // centre 1, q 1, direction y
        g.D("in", inDeriv, 1, 24);
        g.I("nlist", new[] { 1, 0 }, 1, 2);
        g.I("natoms", new[] { 2, 2, 2 }, 3);
        g.D("rij", new[] { 0.5, 0, 0, 0, -1, 0 }, 1, 6);
        g.Op("force", "ProdForceSeA", new[] { "net", "in", "nlist", "natoms" }, Int("n_a_sel", 1), Int("n_r_sel", 0));
        g.Op("virial", "ProdVirialSeA", new[] { "net", "in", "rij", "nlist", "natoms" }, Int("n_a_sel", 1), Int("n_r_sel", 0));
        var r = g.Run("force", "virial:0", "virial:1");
        Assert.Equal(new[] { -1.0, 0, -3, 1, 0, 3 }, D(r[0]));
        var av = D(r[2]);
        Assert.Equal(new[] { 0.0, 0, 0, 0, -2, 0, 0, 0, 0 }, av.Take(9));
        Assert.Equal(new[] { 0.5, 0, 0, 1, 0, 0, 1.5, 0, 0 }, av.Skip(9));
        Assert.Equal(new[] { 0.5, 0, 0, 1, -2, 0, 1.5, 0, 0 }, D(r[1]));

        g.I("bad_nlist", new[] { 5, 0 }, 1, 2);
        g.Op("badforce", "ProdForceSeA", new[] { "net", "in", "bad_nlist", "natoms" });
        Assert.Equal("InvalidOpInput", Assert.Throws<GraphExecutionException>(() => g.Run("badforce")).ErrorId);
    }

    [Fact]
    public void EnvMatRejectsInconsistentShapesAndTypes()
    {
        var g = new TestGraph();
        EnvMat(g, "ProdEnvMatA", new[] { 0.0, 0, 0, 1, 0, 0 }, new[] { 0, 2 }, 2, null, 0, 4f, 2f, new[] { 1, 1 });
        Assert.Equal("UnknownAtomType", Assert.Throws<GraphExecutionException>(() => g.Run("env:0")).ErrorId);

        var s = new TestGraph();
        EnvMat(s, "ProdEnvMatA", new[] { 0.0, 0, 0 }, new[] { 0 }, 1, null, 0, 4f, 2f, new[] { 1, 1 });
        var ex = Assert.Throws<GraphExecutionException>(() => s.Run("env:0"));
        Assert.Equal("InvalidOpInput", ex.ErrorId);
        Assert.Contains("sel_a", ex.Message);
    }

    /// <summary>
    /// The environment-matrix entries computed four slots at a time (SIMD lanes, the switch as selects) are the bits of
    /// the one-slot arithmetic, for distances below rcut_smth, in the switching region, at both edges and beyond rcut.
    /// </summary>
    [Theory]
    [InlineData(4)]
    [InlineData(1)]
    public void EnvMatEntriesInLanesEqualTheScalarEntries(int ncomp)
    {
        const double rmin = 0.5, rmax = 6.0, diff = 5.5;
        var rng = new Random(5 + ncomp);
        double[] radii = { 0.2, 0.5, 0.5000000000000001, 1.7, 3.3, 5.999999999999999, 6.0, 6.4 };
        const int n = 37;
        var rij = new double[3 * n];
        var entries = new Evaluation.Ops.DeepmdOps.EnvMatEntries(n, ncomp, rmin, rmax, diff);
        for (int s = 0; s < n; s++)
        {
            double r = s < radii.Length ? radii[s] : 0.1 + (rng.NextDouble() * 6.5);
            double th = Math.Acos((2 * rng.NextDouble()) - 1), ph = 2 * Math.PI * rng.NextDouble();
            rij[3 * s] = r * Math.Sin(th) * Math.Cos(ph);
            rij[(3 * s) + 1] = r * Math.Sin(th) * Math.Sin(ph);
            rij[(3 * s) + 2] = r * Math.Cos(th);
            entries.Add(s, rij, 3 * s);
        }

        var value = new double[n * ncomp];
        var deriv = new double[n * ncomp * 3];
        entries.Compute<Evaluation.F64>(value, deriv);
        for (int s = 0; s < n; s++)
        {
            var v = new double[ncomp];
            var d = new double[3 * ncomp];
            Evaluation.Ops.DeepmdOps.EnvMatEntry<Evaluation.F64>(rij.Skip(3 * s).Take(3).ToArray(), rmin, rmax, diff, ncomp, v, d);
            Assert.Equal(v.Select(BitConverter.DoubleToInt64Bits), value.Skip(s * ncomp).Take(ncomp).Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(d.Select(BitConverter.DoubleToInt64Bits), deriv.Skip(3 * s * ncomp).Take(3 * ncomp).Select(BitConverter.DoubleToInt64Bits));
        }
    }
}
