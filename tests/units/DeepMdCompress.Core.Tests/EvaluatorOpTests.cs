using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using Xunit;
using static DeepMdCompress.Core.Tests.TestGraph;

namespace DeepMdCompress.Core.Tests;

/// <summary>Standard TensorFlow ops on hand-computed cases (docs/evaluator.md#the-op-set-and-where-its-semantics-come-from).</summary>
public class EvaluatorOpTests
{
    private static double[] Doubles(TensorValue t) => (double[])t.Data;

    private static int[] Ints32(TensorValue t) => (int[])t.Data;

    private static GraphExecutionException Fails(TestGraph g, string fetch, string errorId = "InvalidOpInput")
    {
        var ex = Assert.Throws<GraphExecutionException>(() => g.Run(fetch));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Contains(fetch, ex.Message);
        return ex;
    }

    [Fact]
    public void BinaryOpsBroadcastNumpyStyle()
    {
        var g = new TestGraph();
        g.D("m", new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3);
        g.D("row", new[] { 10.0, 20, 30 }, 3);
        g.D("col", new[] { 100.0, 200 }, 2, 1);
        g.D("s", new[] { 0.5 });
        g.Op("a", "AddV2", new[] { "m", "row" });
        g.Op("b", "Sub", new[] { "row", "m" });
        g.Op("c", "Add", new[] { "col", "row" });
        g.Op("d", "Mul", new[] { "s", "m" });
        g.Op("e", "RealDiv", new[] { "m", "col" });
        g.Op("f", "Maximum", new[] { "m", "s" });
        g.Op("h", "Minimum", new[] { "col", "row" });
        var r = g.Run("a", "b", "c", "d", "e", "f", "h");
        Assert.Equal(new[] { 11.0, 22, 33, 14, 25, 36 }, Doubles(r[0]));
        Assert.Equal(new[] { 9.0, 18, 27, 6, 15, 24 }, Doubles(r[1]));
        Assert.Equal(new[] { 2, 3 }, r[2].Shape);
        Assert.Equal(new[] { 110.0, 120, 130, 210, 220, 230 }, Doubles(r[2]));
        Assert.Equal(new[] { 0.5, 1, 1.5, 2, 2.5, 3 }, Doubles(r[3]));
        Assert.Equal(new[] { 0.01, 0.02, 0.03, 0.02, 0.025, 0.03 }, Doubles(r[4]));
        Assert.Equal(new[] { 1.0, 2, 3, 4, 5, 6 }, Doubles(r[5]));
        Assert.Equal(new[] { 10.0, 20, 30, 10, 20, 30 }, Doubles(r[6]));
    }

    [Fact]
    public void IncompatibleShapesAndMixedDtypesAreErrors()
    {
        var g = new TestGraph();
        g.D("m", new double[6], 2, 3);
        g.D("v", new double[2], 2);
        g.I("i", new[] { 1, 2, 3 }, 3);
        g.Op("bad", "Add", new[] { "m", "v" });
        g.Op("mixed", "Mul", new[] { "m", "i" });
        Assert.Contains("broadcast", Fails(g, "bad").Message);
        Assert.Contains("dtypes", Fails(g, "mixed").Message);
    }

    [Fact]
    public void FloorModAndFloorDivFollowTheDivisorSign()
    {
        var g = new TestGraph();
        g.I("a", new[] { -1, 1, -7, 7, 6 }, 5);
        g.I("b", new[] { 3, -3, 2, -2, 3 }, 5);
        g.Op("mod", "FloorMod", new[] { "a", "b" });
        g.Op("div", "FloorDiv", new[] { "a", "b" });
        g.D("x", new[] { -1.5, 1.5, -0.25 }, 3);
        g.D("y", new[] { 1.0, -1.0, 0.5 }, 3);
        g.Op("fmod", "FloorMod", new[] { "x", "y" });
        g.Op("fdiv", "FloorDiv", new[] { "x", "y" });
        var r = g.Run("mod", "div", "fmod", "fdiv");
        Assert.Equal(new[] { 2, -2, 1, -1, 0 }, Ints32(r[0]));
        Assert.Equal(new[] { -1, -1, -4, -4, 2 }, Ints32(r[1]));
        Assert.Equal(new[] { 0.5, -0.5, 0.25 }, Doubles(r[2]));
        Assert.Equal(new[] { -2.0, -2.0, -1.0 }, Doubles(r[3]));

        var z = new TestGraph();
        z.I("a", new[] { 1 }, 1);
        z.I("zero", new[] { 0 }, 1);
        z.Op("m", "FloorMod", new[] { "a", "zero" });
        var ex = Assert.Throws<GraphExecutionException>(() => z.Run("m"));
        Assert.Equal("OpFailed", ex.ErrorId);
        Assert.Contains("division by zero", ex.Message);
    }

    [Fact]
    public void ComparisonsGiveBool()
    {
        var g = new TestGraph();
        g.D("a", new[] { 1.0, 2, 3 }, 3);
        g.D("b", new[] { 2.0 });
        g.Op("ge", "GreaterEqual", new[] { "a", "b" });
        g.Op("lt", "Less", new[] { "a", "b" });
        g.Op("eq", "Equal", new[] { "a", "b" });
        var r = g.Run("ge", "lt", "eq");
        Assert.Equal(DataType.DtBool, r[0].DType);
        Assert.Equal(new[] { false, true, true }, (bool[])r[0].Data);
        Assert.Equal(new[] { true, false, false }, (bool[])r[1].Data);
        Assert.Equal(new[] { false, true, false }, (bool[])r[2].Data);
    }

    [Fact]
    public void ReshapeInfersOneDimension()
    {
        var g = new TestGraph();
        g.D("x", Enumerable.Range(0, 12).Select(i => (double)i).ToArray(), 3, 4);
        g.I("s1", new[] { -1, 6 }, 2);
        g.I("s2", new[] { -1, 5 }, 2);
        g.I("s3", new[] { -1, -1 }, 2);
        g.Op("r1", "Reshape", new[] { "x", "s1" });
        g.Op("r2", "Reshape", new[] { "x", "s2" });
        g.Op("r3", "Reshape", new[] { "x", "s3" });
        var r = g.Run("r1");
        Assert.Equal(new[] { 2, 6 }, r.Shape);
        Assert.Equal(11.0, Doubles(r)[11]);
        Fails(g, "r2");
        Fails(g, "r3");
    }

    [Fact]
    public void ShapeAndShapeN()
    {
        var g = new TestGraph();
        g.D("x", new double[6], 2, 3);
        g.D("s", new[] { 1.0 });
        g.Op("shape", "Shape", new[] { "x" });
        g.Op("shapes", "ShapeN", new[] { "x", "s" });
        var r = g.Run("shape", "shapes:0", "shapes:1");
        Assert.Equal(new[] { 2, 3 }, Ints32(r[0]));
        Assert.Equal(new[] { 2, 3 }, Ints32(r[1]));
        Assert.Empty(Ints32(r[2]));
        Assert.Equal(new[] { 0 }, r[2].Shape);
    }

    [Fact]
    public void ReductionsHandleNegativeEmptyAndKeptAxes()
    {
        var g = new TestGraph();
        g.D("x", new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3);
        g.I("last", new[] { -1 }, 1);
        g.I("first", new[] { 0 });
        g.I("none", Array.Empty<int>(), 0);
        g.I("both", new[] { 1, 0 }, 2);
        g.Op("sum_last", "Sum", new[] { "x", "last" });
        g.Op("sum_first", "Sum", new[] { "x", "first" }, B("keep_dims", true));
        g.Op("sum_none", "Sum", new[] { "x", "none" });
        g.Op("mean", "Mean", new[] { "x", "both" });
        g.Op("prod", "Prod", new[] { "x", "last" });
        g.I("shape", new[] { 4, 5, 6 }, 3);
        g.Op("count", "Prod", new[] { "shape", "first" });
        g.Op("empty_prod", "Prod", new[] { "none", "first" });
        g.Op("max", "Max", new[] { "x", "first" });
        var r = g.Run("sum_last", "sum_first", "sum_none", "mean", "prod", "count", "empty_prod", "max");
        Assert.Equal(new[] { 6.0, 15 }, Doubles(r[0]));
        Assert.Equal(new[] { 1, 3 }, r[1].Shape);
        Assert.Equal(new[] { 5.0, 7, 9 }, Doubles(r[1]));
        Assert.Equal(new[] { 2, 3 }, r[2].Shape);
        Assert.Equal(new[] { 1.0, 2, 3, 4, 5, 6 }, Doubles(r[2]));
        Assert.Empty(r[3].Shape);
        Assert.Equal(3.5, Doubles(r[3])[0]);
        Assert.Equal(new[] { 6.0, 120 }, Doubles(r[4]));
        Assert.Equal(120, Ints32(r[5])[0]);
        Assert.Equal(1, Ints32(r[6])[0]);
        Assert.Equal(new[] { 4.0, 5, 6 }, Doubles(r[7]));

        g.I("out", new[] { 2 });
        g.Op("bad", "Sum", new[] { "x", "out" });
        Fails(g, "bad");
    }

    [Fact]
    public void SliceWithMinusOneSizeAndBounds()
    {
        var g = new TestGraph();
        g.D("x", Enumerable.Range(0, 12).Select(i => (double)i).ToArray(), 3, 4);
        g.I("b", new[] { 1, 1 }, 2);
        g.I("s", new[] { -1, 2 }, 2);
        g.I("big", new[] { 3, 2 }, 2);
        g.Op("slice", "Slice", new[] { "x", "b", "s" });
        g.Op("oob", "Slice", new[] { "x", "b", "big" });
        var r = g.Run("slice");
        Assert.Equal(new[] { 2, 2 }, r.Shape);
        Assert.Equal(new[] { 5.0, 6, 9, 10 }, Doubles(r));
        Fails(g, "oob");
    }

    /// <summary>
    /// Slice, Pad, PadV2 and ConcatV2 on tensors large enough that their rows are split into blocks and copied by
    /// several threads (the single-row [1, N] case of the fitting-net gradients included), element by element
    /// against the index arithmetic of the op definitions.
    /// </summary>
    [Fact]
    public void LargeCopiesMatchTheIndexDefinition()
    {
        const int n = 100_003;
        var rowData = Enumerable.Range(0, n).Select(i => i + 0.5).ToArray();
        var grid = Enumerable.Range(0, 7 * 5 * 3001).Select(i => -(double)i).ToArray();
        var g = new TestGraph();
        g.D("row", rowData, 1, n);
        g.D("grid", grid, 7, 5, 3001);
        g.I("b", new[] { 0, 17 }, 2);
        g.I("s", new[] { -1, 90_000 }, 2);
        g.Op("rowslice", "Slice", new[] { "row", "b", "s" });
        g.I("b3", new[] { 2, 1, 5 }, 3);
        g.I("s3", new[] { 4, 3, 2990 }, 3);
        g.Op("gridslice", "Slice", new[] { "grid", "b3", "s3" });
        g.I("pads", new[] { 0, 0, 40_000, 30_000 }, 2, 2);
        g.Op("rowpad", "Pad", new[] { "row", "pads" });
        g.I("pads3", new[] { 1, 2, 0, 1, 3, 4 }, 3, 2);
        g.D("seven", new[] { 7.0 });
        g.Op("gridpad", "PadV2", new[] { "grid", "pads3", "seven" });
        g.I("axis1", new[] { 1 });
        g.Op("cat", "ConcatV2", new[] { "row", "rowslice", "row", "axis1" });
        var r = g.Run("rowslice", "gridslice", "rowpad", "gridpad", "cat");

        Assert.Equal(rowData.Skip(17).Take(90_000), Doubles(r[0]));

        var gs = Doubles(r[1]);
        Assert.Equal(new[] { 4, 3, 2990 }, r[1].Shape);
        for (int i = 0, k = 0; i < 4; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                for (int c = 0; c < 2990; c++, k++)
                {
                    Assert.Equal(grid[(((2 + i) * 5) + 1 + j) * 3001 + 5 + c], gs[k]);
                }
            }
        }

        var rp = Doubles(r[2]);
        Assert.Equal(new[] { 1, 40_000 + n + 30_000 }, r[2].Shape);
        for (int c = 0; c < rp.Length; c++)
        {
            Assert.Equal(c >= 40_000 && c < 40_000 + n ? rowData[c - 40_000] : 0.0, rp[c]);
        }

        var gp = Doubles(r[3]);
        Assert.Equal(new[] { 10, 6, 3008 }, r[3].Shape);
        for (int i = 0, k = 0; i < 10; i++)
        {
            for (int j = 0; j < 6; j++)
            {
                for (int c = 0; c < 3008; c++, k++)
                {
                    bool inside = i >= 1 && i < 8 && j < 5 && c >= 3 && c < 3004;
                    Assert.Equal(inside ? grid[(((i - 1) * 5) + j) * 3001 + c - 3] : 7.0, gp[k]);
                }
            }
        }

        Assert.Equal(rowData.Concat(rowData.Skip(17).Take(90_000)).Concat(rowData), Doubles(r[4]));
    }

    [Fact]
    public void StridedSliceMasks()
    {
        var g = new TestGraph();
        g.I("natoms", new[] { 6, 6, 2, 4 }, 4);
        g.I("k", new[] { 2 }, 1);
        g.I("k1", new[] { 3 }, 1);
        g.I("one", new[] { 1 }, 1);
        g.I("zero", new[] { 0 }, 1);
        g.I("m2", new[] { -2 }, 1);
        g.I("m1", new[] { -1 }, 1);
        g.I("minus1", new[] { -1 }, 1);

        // natoms[2:3:1] with shrink → scalar 2
        g.Op("shrink", "StridedSlice", new[] { "natoms", "k", "k1", "one" }, Int("shrink_axis_mask", 1), T("Index", DataType.DtInt32));

        // shape[:-2] (begin_mask 1)
        g.Op("head", "StridedSlice", new[] { "natoms", "zero", "m2", "one" }, Int("begin_mask", 1));

        // natoms[-1] shrink → 4
        g.Op("last", "StridedSlice", new[] { "natoms", "m1", "zero", "one" }, Int("shrink_axis_mask", 1));

        // natoms[::-1]
        g.Op("rev", "StridedSlice", new[] { "natoms", "zero", "zero", "minus1" }, Int("begin_mask", 1), Int("end_mask", 1));
        var r = g.Run("shrink", "head", "last", "rev");
        Assert.Empty(r[0].Shape);
        Assert.Equal(2, Ints32(r[0])[0]);
        Assert.Equal(new[] { 6, 6 }, Ints32(r[1]));
        Assert.Equal(4, Ints32(r[2])[0]);
        Assert.Equal(new[] { 4, 2, 6, 6 }, Ints32(r[3]));

        // x[..., 1] with an ellipsis and x[:, tf.newaxis, 0:3:2] on a [2, 3] matrix
        g.D("x", new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3);
        g.I("b2", new[] { 0, 0, 0 }, 3);
        g.I("e2", new[] { 0, 0, 3 }, 3);
        g.I("s2", new[] { 1, 1, 2 }, 3);
        g.Op("newaxis", "StridedSlice", new[] { "x", "b2", "e2", "s2" }, Int("begin_mask", 1), Int("end_mask", 1), Int("new_axis_mask", 2));
        g.I("eb", new[] { 0, 1 }, 2);
        g.I("ee", new[] { 0, 2 }, 2);
        g.I("es", new[] { 1, 1 }, 2);
        g.Op("ellipsis", "StridedSlice", new[] { "x", "eb", "ee", "es" }, Int("ellipsis_mask", 1), Int("shrink_axis_mask", 2));
        var s = g.Run("newaxis", "ellipsis");
        Assert.Equal(new[] { 2, 1, 2 }, s[0].Shape);
        Assert.Equal(new[] { 1.0, 3, 4, 6 }, Doubles(s[0]));
        Assert.Equal(new[] { 2 }, s[1].Shape);
        Assert.Equal(new[] { 2.0, 5 }, Doubles(s[1]));

        g.I("nine", new[] { 9 }, 1);
        g.I("ten", new[] { 10 }, 1);
        g.Op("oob", "StridedSlice", new[] { "natoms", "nine", "ten", "one" }, Int("shrink_axis_mask", 1));
        Fails(g, "oob");
    }

    [Fact]
    public void ConcatPackUnpackAndConcatOffset()
    {
        var g = new TestGraph();
        g.D("a", new[] { 1.0, 2, 3, 4 }, 2, 2);
        g.D("b", new[] { 5.0, 6 }, 2, 1);
        g.I("axis", new[] { -1 });
        g.Op("cat", "ConcatV2", new[] { "a", "b", "axis" });
        g.I("ax1", new[] { 1 });
        g.I("sa", new[] { 2, 2 }, 2);
        g.I("sb", new[] { 2, 1 }, 2);
        g.Op("off", "ConcatOffset", new[] { "ax1", "sa", "sb" });
        g.I("s1", new[] { 7 });
        g.I("s2", new[] { 8 });
        g.Op("pack", "Pack", new[] { "s1", "s2" });
        g.Op("pack1", "Pack", new[] { "a", "a" }, Int("axis", 1));
        g.Op("unpack", "Unpack", new[] { "a" }, Int("axis", 1), Int("num", 2));
        var r = g.Run("cat", "off:0", "off:1", "pack", "pack1", "unpack:1");
        Assert.Equal(new[] { 2, 3 }, r[0].Shape);
        Assert.Equal(new[] { 1.0, 2, 5, 3, 4, 6 }, Doubles(r[0]));
        Assert.Equal(new[] { 0, 0 }, Ints32(r[1]));
        Assert.Equal(new[] { 0, 2 }, Ints32(r[2]));
        Assert.Equal(new[] { 7, 8 }, Ints32(r[3]));
        Assert.Equal(new[] { 2, 2, 2 }, r[4].Shape);
        Assert.Equal(new[] { 1.0, 2, 1, 2, 3, 4, 3, 4 }, Doubles(r[4]));
        Assert.Equal(new[] { 2.0, 4 }, Doubles(r[5]));

        g.I("sc", new[] { 3, 1 }, 2);
        g.Op("badoff", "ConcatOffset", new[] { "ax1", "sa", "sc" });
        Fails(g, "badoff");
    }

    [Fact]
    public void FillPadTileTranspose()
    {
        var g = new TestGraph();
        g.I("dims", new[] { 2, 2 }, 2);
        g.I("nodims", Array.Empty<int>(), 0);
        g.D("v", new[] { 1.5 });
        g.Op("fill", "Fill", new[] { "dims", "v" });
        g.Op("scalar", "Fill", new[] { "nodims", "v" });
        g.D("x", new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3);
        g.I("pads", new[] { 1, 0, 0, 2 }, 2, 2);
        g.Op("pad", "Pad", new[] { "x", "pads" });
        g.I("mult", new[] { 2, 1 }, 2);
        g.Op("tile", "Tile", new[] { "x", "mult" });
        g.I("perm", new[] { 1, 0 }, 2);
        g.Op("tr", "Transpose", new[] { "x", "perm" });
        g.D("y", Enumerable.Range(0, 24).Select(i => (double)i).ToArray(), 2, 3, 4);
        g.I("perm3", new[] { 2, 0, 1 }, 3);
        g.Op("tr3", "Transpose", new[] { "y", "perm3" });
        var r = g.Run("fill", "scalar", "pad", "tile", "tr", "tr3");
        Assert.Equal(new[] { 1.5, 1.5, 1.5, 1.5 }, Doubles(r[0]));
        Assert.Empty(r[1].Shape);
        Assert.Equal(new[] { 3, 5 }, r[2].Shape);
        Assert.Equal(new[] { 0.0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0 }, Doubles(r[2]));
        Assert.Equal(new[] { 1.0, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6 }, Doubles(r[3]));
        Assert.Equal(new[] { 3, 2 }, r[4].Shape);
        Assert.Equal(new[] { 1.0, 4, 2, 5, 3, 6 }, Doubles(r[4]));
        Assert.Equal(new[] { 4, 2, 3 }, r[5].Shape);

        // out[k, i, j] = y[i, j, k] = 12i + 4j + k
        Assert.Equal(12 + 8 + 3, Doubles(r[5])[(3 * 6) + (1 * 3) + 2]);
    }

    [Fact]
    public void GatherV2AndIndexErrors()
    {
        var g = new TestGraph();
        g.D("p", new[] { 1.0, 2, 3, 4, 5, 6 }, 3, 2);
        g.I("idx", new[] { 2, 0, 2 }, 3);
        g.I("ax0", new[] { 0 });
        g.I("axm1", new[] { -1 });
        g.I("one", new[] { 1 }, 1);
        g.Op("rows", "GatherV2", new[] { "p", "idx", "ax0" });
        g.Op("cols", "GatherV2", new[] { "p", "one", "axm1" });
        g.I("bad", new[] { 3 }, 1);
        g.Op("oob", "GatherV2", new[] { "p", "bad", "ax0" });
        var r = g.Run("rows", "cols");
        Assert.Equal(new[] { 3, 2 }, r[0].Shape);
        Assert.Equal(new[] { 5.0, 6, 1, 2, 5, 6 }, Doubles(r[0]));
        Assert.Equal(new[] { 3, 1 }, r[1].Shape);
        Assert.Equal(new[] { 2.0, 4, 6 }, Doubles(r[1]));
        Assert.Contains("index 3", Fails(g, "oob").Message);
    }

    [Fact]
    public void OneHotIgnoresOutOfRangeIndices()
    {
        var g = new TestGraph();
        g.I("idx", new[] { 0, 2, -1, 3 }, 4);
        g.I("depth", new[] { 3 });
        g.Const("on", Shapes.Scalar(1f));
        g.Const("off", Shapes.Scalar(0f));
        g.Op("oh", "OneHot", new[] { "idx", "depth", "on", "off" }, Int("axis", -1));
        g.Op("oh0", "OneHot", new[] { "idx", "depth", "on", "off" }, Int("axis", 0));
        var r = g.Run("oh", "oh0");
        Assert.Equal(new[] { 4, 3 }, r[0].Shape);
        Assert.Equal(DataType.DtFloat, r[0].DType);
        Assert.Equal(new[] { 1f, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 }, (float[])r[0].Data);
        Assert.Equal(new[] { 3, 4 }, r[1].Shape);
        Assert.Equal(new[] { 1f, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0 }, (float[])r[1].Data);
    }

    [Fact]
    public void DynamicStitchLaterEntriesWin()
    {
        var g = new TestGraph();
        g.I("i0", new[] { 0, 2 }, 2);
        g.I("i1", new[] { 1, 2 }, 2);
        g.D("d0", new[] { 1.0, 2, 3, 4 }, 2, 2);
        g.D("d1", new[] { 5.0, 6, 7, 8 }, 2, 2);
        g.Op("st", "DynamicStitch", new[] { "i0", "i1", "d0", "d1" }, Int("N", 2));
        var r = g.Run("st");
        Assert.Equal(new[] { 3, 2 }, r.Shape);
        Assert.Equal(new[] { 1.0, 2, 5, 6, 7, 8 }, Doubles(r));
    }

    /// <summary>The gradient of Mean(x, axis 1) as TensorFlow writes it: DynamicStitch, FloorDiv, Tile, Prod, Cast, RealDiv.</summary>
    [Fact]
    public void MeanGradientPattern()
    {
        var g = new TestGraph();
        g.D("x", new double[6], 2, 3);
        g.D("dy", new[] { 3.0, 6 }, 2);
        g.Op("shape", "Shape", new[] { "x" });
        g.I("axes", new[] { 1 });
        g.I("rank", new[] { 2 });
        g.I("zero", new[] { 0 });
        g.I("step", new[] { 1 });
        g.Op("range", "Range", new[] { "zero", "rank", "step" });
        g.Op("size", "Shape", new[] { "axes" });
        g.I("one", new[] { 1 });
        g.Op("ones", "Fill", new[] { "size", "one" });
        g.Op("kept", "DynamicStitch", new[] { "range", "axes", "shape", "ones" }, Int("N", 2));
        g.I("min1", new[] { 1 });
        g.Op("kept1", "Maximum", new[] { "kept", "min1" });
        g.Op("scale", "FloorDiv", new[] { "shape", "kept1" });
        g.Op("dyr", "Reshape", new[] { "dy", "kept" });
        g.Op("tiled", "Tile", new[] { "dyr", "scale" });
        g.Op("in_size", "Prod", new[] { "shape", "zero" });
        g.Op("out_shape", "Shape", new[] { "dy" });
        g.Op("out_size", "Prod", new[] { "out_shape", "zero" });
        g.Op("factor", "FloorDiv", new[] { "in_size", "out_size" });
        g.Op("factor_d", "Cast", new[] { "factor" }, T("SrcT", DataType.DtInt32), T("DstT", DataType.DtDouble));
        g.Op("grad", "RealDiv", new[] { "tiled", "factor_d" });
        var r = g.Run("kept", "grad");
        Assert.Equal(new[] { 2, 1 }, Ints32(r[0]));
        Assert.Equal(new[] { 2, 3 }, r[1].Shape);
        Assert.Equal(new[] { 1.0, 1, 1, 2, 2, 2 }, Doubles(r[1]));
    }

    [Fact]
    public void BroadcastGradientArgs()
    {
        void Check(int[] s0, int[] s1, int[] r0, int[] r1)
        {
            var (a0, a1) = Args(s0, s1);
            Assert.Equal(r0, a0);
            Assert.Equal(r1, a1);
        }

        (int[], int[]) Args(int[] s0, int[] s1)
        {
            var g = new TestGraph();
            g.I("s0", s0, s0.Length);
            g.I("s1", s1, s1.Length);
            g.Op("bga", "BroadcastGradientArgs", new[] { "s0", "s1" });
            var r = g.Run("bga:0", "bga:1");
            return (Ints32(r[0]), Ints32(r[1]));
        }

        Check(new[] { 2, 3 }, new[] { 3 }, Array.Empty<int>(), new[] { 0 });
        Check(new[] { 2, 1 }, new[] { 1, 3 }, new[] { 1 }, new[] { 0 });
        Check(new[] { 1, 3 }, new[] { 1, 3 }, Array.Empty<int>(), Array.Empty<int>());
        Check(new[] { 1, 3 }, new[] { 2, 3 }, new[] { 0 }, Array.Empty<int>());
        Check(new[] { 1, 1 }, new[] { 1 }, new[] { 0, 1 }, new[] { 0, 1 });
        Check(Array.Empty<int>(), new[] { 4, 5 }, new[] { 0, 1 }, Array.Empty<int>());

        var bad = new TestGraph();
        bad.I("s0", new[] { 2 }, 1);
        bad.I("s1", new[] { 3 }, 1);
        bad.Op("bga", "BroadcastGradientArgs", new[] { "s0", "s1" });
        Fails(bad, "bga");
    }

    [Fact]
    public void MatMulAndBatchMatMul()
    {
        var g = new TestGraph();
        g.D("a", new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3);
        g.D("b", new[] { 1.0, 0, 1, 2, 0, 1 }, 2, 3);
        g.Op("abt", "MatMul", new[] { "a", "b" }, B("transpose_b", true));
        g.Op("atb", "MatMul", new[] { "a", "b" }, B("transpose_a", true));
        g.D("x", Enumerable.Range(1, 12).Select(i => (double)i).ToArray(), 2, 2, 3);
        g.D("w", new[] { 1.0, 0, 0, 1, 1, 1 }, 3, 2);
        g.Op("bcast", "BatchMatMulV2", new[] { "x", "w" });
        g.Op("adjx", "BatchMatMul", new[] { "x", "x" }, B("adj_x", true));
        g.Op("bad", "BatchMatMul", new[] { "x", "w" });
        g.Op("inner", "MatMul", new[] { "a", "b" });
        var r = g.Run("abt", "atb", "bcast", "adjx");
        Assert.Equal(new[] { 4.0, 5, 10, 14 }, Doubles(r[0]));
        Assert.Equal(new[] { 3, 3 }, r[1].Shape);
        Assert.Equal(new[] { 9.0, 0, 5, 12, 0, 7, 15, 0, 9 }, Doubles(r[1]));
        Assert.Equal(new[] { 2, 2, 2 }, r[2].Shape);
        Assert.Equal(new[] { 4.0, 5, 10, 11, 16, 17, 22, 23 }, Doubles(r[2]));
        Assert.Equal(new[] { 2, 3, 3 }, r[3].Shape);

        // batch 0: xᵀx with x = [[1,2,3],[4,5,6]] → [[17,22,27],[22,29,36],[27,36,45]]
        Assert.Equal(new[] { 17.0, 22, 27, 22, 29, 36, 27, 36, 45 }, Doubles(r[3]).Take(9));
        Fails(g, "bad");
        Fails(g, "inner");
    }

    /// <summary>
    /// Products through the few-rows kernel (m ≤ 4), the register blocks, the vector remainder and the scalar columns, with long sums (k = 600),
    /// wide rows (n = 1500) and a transposed A; from 16 rows on through the packed kernel, with several panels of B
    /// (k > 128), edge strips of one, two and three vectors, a last tile of 1 … 3 rows, row blocks (m > 256) and
    /// a transposed B: each C[i, j] must equal the plain ascending sum, bit for bit, on one thread or three (each term
    /// multiplied and added in one rounding where the packed kernel has AVX-512). With
    /// <paramref name="repeats"/>, most rows of A repeat the row before them (an embedding net's padding neighbours),
    /// one of them with −0 for 0 (a different row bitwise), so the packed kernel computes a row once and copies it.
    /// </summary>
    [Theory]
    [InlineData(37, 300, 50, false, false, true)]
    [InlineData(301, 100, 50, false, true, true)]
    [InlineData(530, 25, 100, true, false, true)]
    [InlineData(66, 1, 25, false, false, true)]
    [InlineData(21, 129, 13, true, true, true)]
    [InlineData(13, 17, 37, false, false)]
    [InlineData(9, 600, 61, false, false)]
    [InlineData(10, 40, 1500, false, false)]
    [InlineData(7, 300, 45, true, false)]
    [InlineData(3, 50, 37, false, false)]
    [InlineData(4, 200, 9, true, true)]
    [InlineData(16, 1, 1, false, false)]
    [InlineData(37, 300, 50, false, false)]
    [InlineData(130, 17, 25, false, true)]
    [InlineData(21, 129, 13, true, false)]
    [InlineData(301, 100, 50, false, true)]
    [InlineData(66, 257, 24, true, true)]
    [InlineData(40, 150, 45, false, false)]
    [InlineData(18, 0, 7, false, false)]
    public void BlockedMatMulEqualsPlainSums(int m, int k, int n, bool transposeA, bool transposeB, bool repeats = false)
    {
        var rng = new Random(7);
        var a = Enumerable.Range(0, m * k).Select(_ => rng.NextDouble() - 0.5).ToArray();
        for (int i = 1; repeats && i < m; i++)
        {
            if (i % 7 >= 2)
            {
                Array.Copy(a, (i - 1) * k, a, i * k, k);
            }

            if (i % 7 == 2)
            {
                a[i * k] = 0.0;
            }
            else if (i % 7 == 4)
            {
                a[i * k] = -0.0;
            }
        }

        var b = Enumerable.Range(0, k * n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var g = new TestGraph();
        if (transposeB)
        {
            // stored as [n, k]: B(p, j) = stored[j, p]
            var stored = new double[n * k];
            for (int p = 0; p < k; p++)
            {
                for (int j = 0; j < n; j++)
                {
                    stored[(j * k) + p] = b[(p * n) + j];
                }
            }

            g.D("a", a, m, k);
            g.D("b", stored, n, k);
            g.Op("c", "MatMul", new[] { "a", "b" }, B("transpose_b", true));
        }
        else if (transposeA)
        {
            // stored as [k, m]: A(i, p) = stored[p, i]
            var stored = new double[k * m];
            for (int i = 0; i < m; i++)
            {
                for (int p = 0; p < k; p++)
                {
                    stored[(p * m) + i] = a[(i * k) + p];
                }
            }

            g.D("a", stored, k, m);
            g.D("b", b, k, n);
            g.Op("c", "MatMul", new[] { "a", "b" }, B("transpose_a", true));
        }
        else
        {
            g.D("a", a, m, k);
            g.D("b", b, k, n);
            g.Op("c", "MatMul", new[] { "a", "b" });
        }

        // The AVX-512 packed tile (16 rows on) rounds each term's multiply-add once: the plain sum with fused terms.
        bool wide = System.Runtime.Intrinsics.X86.Avx512F.IsSupported && Environment.GetEnvironmentVariable("DEEPMDCOMPRESS_PORTABLE_KERNELS") != "1";
        Assert.Equal(wide, Evaluation.Ops.WideKernels.Gemm is not null);
        bool fused = wide && m >= 16;
        foreach (int threads in new[] { 1, 3 })
        {
            var c = Doubles(new GraphInterpreter(g.Def) { MaxDegreeOfParallelism = threads }.Run(new Dictionary<string, TensorValue>(), new[] { "c" })[0]);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                    {
                        s = fused ? Math.FusedMultiplyAdd(a[(i * k) + p], b[(p * n) + j], s) : s + (a[(i * k) + p] * b[(p * n) + j]);
                    }

                    Assert.Equal(BitConverter.DoubleToInt64Bits(s), BitConverter.DoubleToInt64Bits(c[(i * n) + j]));
                }
            }
        }
    }

    /// <summary>
    /// Batched products of a descriptor's shapes — Rᵀ·G (adj_x, 4 rows: four-row register blocks), its gradients
    /// G·dCᵀ (adj_y, 4 columns) and R·dC (depth 4), and one to three rows (streamed) — are the plain ascending sums of
    /// rounded products, bit for bit, on one thread or three: batches never take the packed, fused tile.
    /// </summary>
    [Theory]
    [InlineData(5, 4, 37, 29, true, false)]
    [InlineData(3, 23, 100, 4, false, true)]
    [InlineData(4, 23, 4, 100, false, false)]
    [InlineData(3, 1, 40, 30, false, false)]
    [InlineData(2, 3, 17, 13, true, false)]
    [InlineData(2, 5, 9, 61, false, true)]
    public void BatchedProductsEqualPlainSums(int batch, int m, int k, int n, bool adjX, bool adjY)
    {
        var rng = new Random(batch + m + k + n);
        var a = Enumerable.Range(0, batch * m * k).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var b = Enumerable.Range(0, batch * k * n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        double A(int t, int i, int p) => adjX ? a[(t * m * k) + (p * m) + i] : a[(t * m * k) + (i * k) + p];
        double Bv(int t, int p, int j) => adjY ? b[(t * k * n) + (j * k) + p] : b[(t * k * n) + (p * n) + j];
        var g = new TestGraph();
        g.D("a", a, adjX ? new[] { batch, k, m } : new[] { batch, m, k });
        g.D("b", b, adjY ? new[] { batch, n, k } : new[] { batch, k, n });
        g.Op("c", "BatchMatMulV2", new[] { "a", "b" }, B("adj_x", adjX), B("adj_y", adjY));
        foreach (int threads in new[] { 1, 3 })
        {
            var c = Doubles(new GraphInterpreter(g.Def) { MaxDegreeOfParallelism = threads }.Run(new Dictionary<string, TensorValue>(), new[] { "c" })[0]);
            for (int t = 0; t < batch; t++)
            {
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        double s = 0;
                        for (int p = 0; p < k; p++)
                        {
                            s += A(t, i, p) * Bv(t, p, j);
                        }

                        Assert.Equal(BitConverter.DoubleToInt64Bits(s), BitConverter.DoubleToInt64Bits(c[(((t * m) + i) * n) + j]));
                    }
                }
            }
        }
    }

    /// <summary>
    /// The packed product with each register tile, whichever this process's MatMul uses: the portable tiles give the
    /// plain ascending sum of rounded products, the AVX-512 tile (where bound) the ascending sum of fused terms, bit
    /// for bit — several panels, every kind of last strip, a last tile of fewer than four rows, a row range not from 0.
    /// </summary>
    [SkippableTheory]
    [InlineData(false, 23, 300, 50)]
    [InlineData(false, 9, 129, 13)]
    [InlineData(false, 262, 50, 100)]
    [InlineData(true, 23, 300, 50)]
    [InlineData(true, 9, 129, 45)]
    [InlineData(true, 262, 50, 100)]
    [InlineData(true, 6, 17, 1600)]
    public void PackedTilesEqualPlainSums(bool wide, int m, int k, int n)
    {
        Skip.If(wide && Evaluation.Ops.WideKernels.Gemm is null, "no AVX-512 on this CPU (or DEEPMDCOMPRESS_PORTABLE_KERNELS=1): only the portable tiles run");
        var rng = new Random(m + k + n);
        var a = Enumerable.Range(0, m * k).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var packed = Evaluation.Ops.Gemm.Pack(b, 0, n, 1, k, n, wide);
        Assert.Equal(wide, packed.Wide);
        var c = new double[m * n];
        const int from = 1;
        Evaluation.Ops.Gemm.Multiply(a, 0, k, 1, packed, c, 0, from, m);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    s = wide ? Math.FusedMultiplyAdd(a[(i * k) + p], b[(p * n) + j], s) : s + (a[(i * k) + p] * b[(p * n) + j]);
                }

                Assert.Equal(BitConverter.DoubleToInt64Bits(i < from ? 0 : s), BitConverter.DoubleToInt64Bits(c[(i * n) + j]));
            }
        }
    }

    /// <summary>The SIMD tanh stays within 4 ulp of the C library's tanh, and its scalar and vector paths agree bit for bit.</summary>
    [Fact]
    public void VectorTanhIsAccurate() =>
        TanhIsAccurate((x, y) => Evaluation.Ops.VectorMath.Tanh(x, y), Evaluation.Ops.VectorMath.Tanh);

    /// <summary>The System.Numerics path (Windows PowerShell, CPUs without AVX-512), whichever path this process uses.</summary>
    [Fact]
    public void PortableTanhIsAccurate() =>
        TanhIsAccurate((x, y) => Evaluation.Ops.VectorMath.PortableTanh(x, y), Evaluation.Ops.VectorMath.PortableTanh);

    /// <summary>
    /// The AVX-512 kernel of DeepMdCompress.Kernels.dll: copied beside the core, loaded wherever the CPU has AVX-512,
    /// as accurate as the portable path, and the same bits however a span is cut (its tail is a padded vector).
    /// </summary>
    [SkippableFact]
    public unsafe void WideTanhIsAccurateAndLoadsWithAvx512()
    {
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(typeof(Evaluation.Ops.VectorMath).Assembly.Location)!, "DeepMdCompress.Kernels.dll")));
        var wide = Evaluation.Ops.WideKernels.Tanh;
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported && Environment.GetEnvironmentVariable("DEEPMDCOMPRESS_PORTABLE_KERNELS") != "1", wide is not null);
        Skip.If(wide is null, "no AVX-512 on this CPU (or DEEPMDCOMPRESS_PORTABLE_KERNELS=1): the portable tanh serves");
        void Span(ReadOnlySpan<double> x, Span<double> y)
        {
            fixed (double* px = x, py = y)
            {
                wide!(px, py, x.Length);
            }
        }

        double Scalar(double x)
        {
            wide!(&x, &x, 1);
            return x;
        }

        var x = TanhIsAccurate(Span, Scalar);
        var whole = new double[x.Length];
        Span(x, whole);
        var rng = new Random(5);
        var cut = new double[x.Length];
        for (int at = 0; at < x.Length;)
        {
            int length = Math.Min(x.Length - at, rng.Next(1, 40));
            Span(x.AsSpan(at, length), cut.AsSpan(at, length));
            at += length;
        }

        Assert.Equal(whole.Select(BitConverter.DoubleToInt64Bits), cut.Select(BitConverter.DoubleToInt64Bits));
    }

    private delegate void TanhOfSpan(ReadOnlySpan<double> x, Span<double> y);

    /// <summary>Checks one tanh implementation; returns the arguments it was checked on.</summary>
    private static double[] TanhIsAccurate(TanhOfSpan tanh, Func<double, double> scalar)
    {
        var x = TanhArguments.Spread(11, 200_003, -10, 12);
        x[0] = 0;
        x[1] = -0.0;
        x[2] = 25;
        x[3] = double.NaN;
        x[4] = double.NegativeInfinity;
        x[5] = 22.0;
        x[6] = -19.1;
        x[7] = double.Epsilon;
        var y = new double[x.Length];
        tanh(x, y);
        long worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(scalar(x[i])), BitConverter.DoubleToInt64Bits(y[i]));
            if (!double.IsNaN(x[i]))
            {
                worst = Math.Max(worst, Math.Abs(BitConverter.DoubleToInt64Bits(y[i]) - BitConverter.DoubleToInt64Bits(Math.Tanh(x[i]))));
            }
        }

        Assert.True(worst <= 4, $"max {worst} ulp");
        Assert.True(double.IsNaN(y[3]));
        Assert.Equal(-1.0, y[4]);
        Assert.Equal(1.0, y[2]);
        Assert.True(double.IsNegative(y[1]));
        return x;
    }

    [Fact]
    public void TanhGradTakesTheOutputFirst()
    {
        var g = new TestGraph();
        g.D("y", new[] { 0.5 }, 1);
        g.D("dy", new[] { 2.0 }, 1);
        g.Op("tg", "TanhGrad", new[] { "y", "dy" });
        Assert.Equal(1.5, Doubles(g.Run("tg"))[0]);
    }

    [Fact]
    public void ActivationsAndTheirGradients()
    {
        var xs = new[] { -7.0, -0.5, 0.0, 0.3, 5.5, 6.5, 40.0 };
        var g = new TestGraph();
        g.D("x", xs, xs.Length);
        g.D("g", xs.Select(_ => 2.0).ToArray(), xs.Length);
        foreach (var op in new[] { "Relu", "Relu6", "Softplus", "Sigmoid", "Tanh", "GeluCustom" })
        {
            g.Op(op, op, new[] { "x" });
        }

        g.Op("ReluGrad", "ReluGrad", new[] { "g", "x" });
        g.Op("Relu6Grad", "Relu6Grad", new[] { "g", "x" });
        g.Op("SoftplusGrad", "SoftplusGrad", new[] { "g", "x" });
        g.Op("SigmoidGrad", "SigmoidGrad", new[] { "Sigmoid", "g" });
        g.Op("GeluGradCustom", "GeluGradCustom", new[] { "g", "x" });
        g.Op("GeluGradGradCustom", "GeluGradGradCustom", new[] { "g", "g", "x" });
        var r = g.Run("Relu", "Relu6", "Softplus", "Sigmoid", "Tanh", "GeluCustom", "ReluGrad", "Relu6Grad", "SoftplusGrad", "SigmoidGrad", "GeluGradCustom", "GeluGradGradCustom");
        Assert.Equal(xs.Select(x => Math.Max(0, x)), Doubles(r[0]));
        Assert.Equal(xs.Select(x => Math.Min(6, Math.Max(0, x))), Doubles(r[1]));
        Assert.Equal(Math.Log(2), Doubles(r[2])[2], 15);
        Assert.Equal(40.0, Doubles(r[2])[6]); // above −log(eps) − 2: x itself
        Assert.Equal(Math.Log(1 + Math.Exp(-0.5)), Doubles(r[2])[1], 15);
        Assert.Equal(0.5, Doubles(r[3])[2]);
        Assert.True(Math.Abs(Math.Tanh(0.3) - Doubles(r[4])[3]) <= 4 * Math.Pow(2, -53));
        Assert.Equal(new[] { 0.0, 0, 0, 2, 2, 2, 2 }, Doubles(r[6]));
        Assert.Equal(new[] { 0.0, 0, 0, 2, 2, 0, 0 }, Doubles(r[7]));
        for (int i = 0; i < xs.Length; i++)
        {
            double s = 1 / (1 + Math.Exp(-xs[i]));
            Assert.Equal(2 * s, Doubles(r[8])[i], 14);
            Assert.Equal(2 * s * (1 - s), Doubles(r[9])[i], 14);

            // gelu: tanh form, and its derivatives against central differences
            double Gelu(double x) => 0.5 * x * (1 + Math.Tanh(0.7978845608028654 * (x + (0.044715 * x * x * x))));
            Assert.Equal(Gelu(xs[i]), Doubles(r[5])[i], 14);
            double h = 1e-5;
            double d1 = (Gelu(xs[i] + h) - Gelu(xs[i] - h)) / (2 * h);
            Assert.Equal(2 * d1, Doubles(r[10])[i], 8);
            double h2 = 1e-4;
            double d2 = (Gelu(xs[i] + h2) - (2 * Gelu(xs[i])) + Gelu(xs[i] - h2)) / (h2 * h2);
            Assert.True(Math.Abs((4 * d2) - Doubles(r[11])[i]) < 1e-4, $"gelu'' at {xs[i]}");
        }
    }

    /// <summary>TensorFlow's approximate gelu is built from Pow, Mul, AddV2 and Tanh; it must equal deepmd's GeluCustom.</summary>
    [Fact]
    public void TensorFlowGeluCompositeEqualsGeluCustom()
    {
        var xs = new[] { -3.0, -1, -0.2, 0, 0.7, 2.5 };
        var g = new TestGraph();
        g.D("x", xs, xs.Length);
        g.D("three", new[] { 3.0 });
        g.D("coeff", new[] { 0.044715 });
        g.D("c", new[] { 0.7978845608028654 });
        g.D("half", new[] { 0.5 });
        g.D("one", new[] { 1.0 });
        g.Op("pow", "Pow", new[] { "x", "three" });
        g.Op("m1", "Mul", new[] { "coeff", "pow" });
        g.Op("a1", "AddV2", new[] { "x", "m1" });
        g.Op("m2", "Mul", new[] { "c", "a1" });
        g.Op("t", "Tanh", new[] { "m2" });
        g.Op("a2", "AddV2", new[] { "one", "t" });
        g.Op("m3", "Mul", new[] { "half", "x" });
        g.Op("gelu", "Mul", new[] { "m3", "a2" });
        g.Op("custom", "GeluCustom", new[] { "x" });
        var r = g.Run("gelu", "custom");
        for (int i = 0; i < xs.Length; i++)
        {
            Assert.Equal(Doubles(r[1])[i], Doubles(r[0])[i], 14);
        }
    }

    [Fact]
    public void ErfMatchesKnownValues()
    {
        var g = new TestGraph();
        g.D("x", new[] { 0.0, 0.5, -1, 2, 3.5, 7 }, 6);
        g.Op("erf", "Erf", new[] { "x" });
        var r = Doubles(g.Run("erf"));
        var expected = new[] { 0.0, 0.5204998778130465, -0.8427007929497149, 0.9953222650189527, 0.9999992569016276, 1.0 };
        for (int i = 0; i < r.Length; i++)
        {
            Assert.True(Math.Abs(r[i] - expected[i]) <= 2e-15 * Math.Max(1e-300, Math.Abs(expected[i])), $"erf #{i}: {r[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void CastAndMiscOps()
    {
        var g = new TestGraph();
        g.Const("b", Shapes.Of(new[] { true, false }, 2));
        g.Op("bd", "Cast", new[] { "b" }, T("SrcT", DataType.DtBool), T("DstT", DataType.DtDouble));
        g.D("d", new[] { -1.7, 2.9, 0.1 }, 3);
        g.Op("di", "Cast", new[] { "d" }, T("DstT", DataType.DtInt32));
        g.Op("df", "Cast", new[] { "d" }, T("DstT", DataType.DtFloat), B("Truncate", true));
        g.Op("df2", "Cast", new[] { "d" }, T("DstT", DataType.DtFloat));
        g.D("diag", new[] { 1.0, 2 }, 2);
        g.Op("md", "MatrixDiag", new[] { "diag" });
        g.I("start", new[] { 3 });
        g.I("limit", new[] { -2 });
        g.I("delta", new[] { -2 });
        g.Op("range", "Range", new[] { "start", "limit", "delta" });
        g.Op("sel", "SelectV2", new[] { "b", "d", "diag" });
        g.I("ax", new[] { 0 });
        g.Op("exp", "ExpandDims", new[] { "diag", "ax" });
        g.Op("sq", "Squeeze", new[] { "exp" });
        var r = g.Run("bd", "di", "df", "df2", "md", "range");
        Assert.Equal(new[] { 1.0, 0 }, Doubles(r[0]));
        Assert.Equal(new[] { -1, 2, 0 }, Ints32(r[1]));
        var truncated = (float[])r[2].Data;
        var rounded = (float[])r[3].Data;
        Assert.Equal((float)0.1, rounded[2]);
        Assert.True(Math.Abs(truncated[2]) <= 0.1 && truncated[2] != rounded[2]); // 0.1f rounds up; truncation rounds down
        Assert.Equal(new[] { 1.0, 0, 0, 2 }, Doubles(r[4]));
        Assert.Equal(new[] { 3, 1, -1 }, Ints32(r[5]));
        Assert.Throws<GraphExecutionException>(() => g.Run("sel")); // d [3] and diag [2] do not broadcast
        Assert.Equal(new[] { 1, 2 }, g.Run("exp").Shape);
        Assert.Equal(new[] { 2 }, g.Run("sq").Shape);
    }

    [Fact]
    public void UnknownOpsAreErrorsNamingOpAndNode()
    {
        var g = new TestGraph();
        g.D("x", new[] { 1.0 }, 1);
        g.Op("table", "TabulateFusionSeQ", new[] { "x", "x", "x", "x" }, Int("last_layer_size", 4));
        g.Op("later", "Identity", new[] { "table" });
        var ex = Assert.Throws<GraphExecutionException>(() => g.Run("later"));
        Assert.Equal("UnsupportedOp", ex.ErrorId);
        Assert.Equal(Errors.DeepMdErrorKind.NotImplemented, ex.Kind);
        Assert.Equal("table", ex.NodeName);
        Assert.Equal("TabulateFusionSeQ", ex.OpType);
        Assert.Contains("'TabulateFusionSeQ'", ex.Message);
        Assert.Contains("'table'", ex.Message);
    }

    [Fact]
    public void OnlyNeededNodesRunAndEachOnce()
    {
        var g = new TestGraph();
        g.D("x", new[] { 2.0 }, 1);
        g.Op("sq", "Square", new[] { "x" });
        g.Op("twice", "Add", new[] { "sq", "sq" });
        g.Op("unused", "NoSuchOp", new[] { "x" });
        var interp = new GraphInterpreter(g.Def);
        var ran = new List<string>();
        interp.NodeTimed = (n, _) => ran.Add(n.Name);
        var r = interp.Run(new Dictionary<string, TensorValue>(), "twice");
        Assert.Equal(8.0, Doubles(r)[0]);
        Assert.Equal(new[] { "x", "sq", "twice" }, ran);

        // Feeding an intermediate replaces it and everything only it needed.
        ran.Clear();
        var fed = interp.Run(new Dictionary<string, TensorValue> { ["sq"] = Shapes.Of(new[] { 5.0 }, 1) }, "twice");
        Assert.Equal(10.0, Doubles(fed)[0]);
        Assert.Equal(new[] { "twice" }, ran);
    }

    [Fact]
    public void DeepChainsRunWithoutRecursion()
    {
        var g = new TestGraph();
        g.D("x0", new[] { 1.0 }, 1);
        for (int i = 1; i <= 20000; i++)
        {
            g.Op("x" + i, i % 2 == 0 ? "Identity" : "Neg", new[] { "x" + (i - 1) });
        }

        Assert.Equal(1.0, Doubles(g.Run("x20000"))[0]);
    }

    [Fact]
    public void MissingFeedsCyclesAndMissingInputsAreErrors()
    {
        var g = new TestGraph();
        g.Placeholder("t_coord", DataType.DtDouble);
        g.Op("y", "Neg", new[] { "t_coord" });
        var ex = Assert.Throws<GraphExecutionException>(() => g.Run("y"));
        Assert.Equal("MissingFeed", ex.ErrorId);
        Assert.Contains("t_coord", ex.Message);
        var wrong = Assert.Throws<GraphExecutionException>(() => g.Run("y", new Dictionary<string, TensorValue> { ["t_coord"] = Shapes.Of(new[] { 1 }, 1) }));
        Assert.Equal("FeedTypeMismatch", wrong.ErrorId);
        Assert.Equal(-3.0, Doubles(g.Run("y", new Dictionary<string, TensorValue> { ["t_coord"] = Shapes.Of(new[] { 3.0 }, 1) }))[0]);

        var c = new TestGraph();
        c.Op("a", "Neg", new[] { "b" });
        c.Op("b", "Neg", new[] { "a" });
        Assert.Equal("GraphCycle", Assert.Throws<ModelStructureException>(() => c.Run("a")).ErrorId);

        var m = new TestGraph();
        m.Op("a", "Neg", new[] { "nowhere" });
        Assert.Equal("MissingNode", Assert.Throws<ModelStructureException>(() => m.Run("a")).ErrorId);
        Assert.Equal("MissingNode", Assert.Throws<ModelStructureException>(() => m.Run("o_energy")).ErrorId);
    }

    [Fact]
    public void RegistryAddsAnOpWithOneRegistration()
    {
        var registry = OpRegistry.CreateDefault();
        Assert.False(registry.Contains("Triple"));
        Assert.True(registry.Contains("TabulateFusionSeAGrad"));
        registry.Register("Triple", (ctx, x) => new[] { Shapes.Of(Doubles(x[0]).Select(v => 3 * v).ToArray(), x[0].Shape) });
        var g = new TestGraph();
        g.D("x", new[] { 2.0 }, 1);
        g.Op("t", "Triple", new[] { "x" });
        var r = new GraphInterpreter(g.Def, registry).Run(new Dictionary<string, TensorValue>(), "t");
        Assert.Equal(6.0, Doubles(r)[0]);
        Assert.Contains("ProdEnvMatA", registry.OpTypes);
    }

    /// <summary>
    /// Each output of a multi-output node gives its buffer back after its own last reader: the peak counts u:0 only
    /// until a reads it, not until u:1's reader runs (8N doubles at c instead of 9N).
    /// </summary>
    [Fact]
    public void OutputsAreReleasedOneByOneAndThePeakCountsLiveBuffers()
    {
        const int n = 4096;
        var g = new TestGraph();
        g.Placeholder("x", DataType.DtDouble);
        g.Op("p", "Pack", new[] { "x", "x" }, Int("N", 2));          // 2N
        g.Op("u", "Unpack", new[] { "p" }, Int("num", 2));           // u:0, u:1: N each; p dies
        g.I("one", new[] { 1 }, 1);
        g.I("three", new[] { 3 }, 1);
        g.Op("a", "Tile", new[] { "u:0", "one" });                   // N; u:0 dies here
        g.Op("b", "Tile", new[] { "a", "three" });                   // 3N; a dies
        g.I("axis", new[] { 0 });
        g.Op("c", "ConcatV2", new[] { "b", "u:1", "axis" });        // 4N with b (3N) and u:1 (N) alive: 8N
        var interp = new GraphInterpreter(g.Def);
        var x = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        var r = interp.Run(new Dictionary<string, TensorValue> { ["x"] = Shapes.Of(x, n) }, "c");
        Assert.Equal(x.Concat(x).Concat(x).Concat(x), Doubles(r));
        Assert.Equal(8L * n * sizeof(double), interp.LastRunPeakBytes);
    }

    /// <summary>
    /// Buffers kept from one run serve the next: the second run allocates a fraction of the first, its results are
    /// right, and the tensors the first run returned are not touched.
    /// </summary>
    [Fact]
    public void KeptBuffersServeTheNextRunWithoutTouchingEarlierResults()
    {
        const int n = 50_000;
        var g = new TestGraph();
        g.Placeholder("x", DataType.DtDouble);
        g.I("pads", new[] { 10, 10 }, 1, 2);
        g.Op("a", "Pad", new[] { "x", "pads" });
        g.Op("b", "Neg", new[] { "a" });
        g.Op("c", "Square", new[] { "a" });
        g.Op("d", "AddN", new[] { "b", "c" });
        g.I("b0", new[] { 5 }, 1);
        g.I("s0", new[] { n }, 1);
        g.Op("e", "Slice", new[] { "d", "b0", "s0" });
        var interp = new GraphInterpreter(g.Def) { MaxDegreeOfParallelism = 1 };
        TensorValue Feed(double v) => Shapes.Of(Enumerable.Repeat(v, n).ToArray(), n);
        double Expected(double v, int i) => i < 10 || i >= n + 10 ? 0 : -v + (v * v); // element i of d

        long before = GC.GetAllocatedBytesForCurrentThread();
        var first = interp.Run(new Dictionary<string, TensorValue> { ["x"] = Feed(2) }, "e");
        long firstBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        var kept = (double[])Doubles(first).Clone();

        before = GC.GetAllocatedBytesForCurrentThread();
        var second = interp.Run(new Dictionary<string, TensorValue> { ["x"] = Feed(3) }, "e");
        long secondBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(secondBytes < firstBytes / 2, $"second run allocated {secondBytes} bytes, first {firstBytes}");
        Assert.Equal(kept, Doubles(first));
        Assert.Equal(Enumerable.Range(5, n).Select(i => Expected(3, i)), Doubles(second));

        interp.ReleaseBuffers();
        var third = interp.Run(new Dictionary<string, TensorValue> { ["x"] = Feed(4) }, "e");
        Assert.Equal(Enumerable.Range(5, n).Select(i => Expected(4, i)), Doubles(third));
        Assert.Equal(kept, Doubles(first));
    }

    /// <summary>
    /// AddN of Pads it alone reads (TensorFlow's gradient of several Slices) runs folded, without the padded tensors:
    /// bit for bit the result of padding and adding (the same graph with each Pad also read elsewhere is not folded),
    /// −0 in a box becoming +0 as 0 + (−0) does, NaN kept; overlapping boxes, three inputs, float and a bad padding
    /// (reported by the Pad node) included.
    /// </summary>
    [Theory]
    [InlineData(false, DataType.DtDouble)]
    [InlineData(true, DataType.DtDouble)]
    [InlineData(false, DataType.DtFloat)]
    public void AddNOfPadsFoldedEqualsPaddingAndAdding(bool overlap, DataType dtype)
    {
        TensorValue Fold(bool fold)
        {
            var g = new TestGraph();
            var rng = new Random(3);
            void Real(string name, int rows, int cols)
            {
                var v = Enumerable.Range(0, rows * cols).Select(i => i % 7 == 0 ? -0.0 : i % 11 == 0 ? double.NaN : rng.NextDouble() - 0.5).ToArray();
                g.Const(name, dtype == DataType.DtFloat ? Shapes.Of(v.Select(d => (float)d).ToArray(), rows, cols) : Shapes.Of(v, rows, cols));
            }

            // Into [6, 9]: a at rows 0–1 / cols 2–6, b at rows 2–5 / cols 0–8, c at rows 0–1 / cols 7–8 (or overlapping a).
            Real("a", 2, 5);
            Real("b", 4, 9);
            Real("c", 2, 2);
            g.I("pa", new[] { 0, 4, 2, 2 }, 2, 2);
            g.I("pb", new[] { 2, 0, 0, 0 }, 2, 2);
            g.I("pc", overlap ? new[] { 0, 4, 5, 2 } : new[] { 0, 4, 7, 0 }, 2, 2);
            g.Op("A", "Pad", new[] { "a", "pa" });
            g.Op("B", "Pad", new[] { "b", "pb" });
            g.Op("C", "Pad", new[] { "c", "pc" });
            g.Op("sum", "AddN", new[] { "A", "B", "C" }, Int("N", 3));
            if (!fold)
            {
                g.Op("alsoA", "Identity", new[] { "A" });
                g.Op("alsoB", "Identity", new[] { "B" });
                return g.Run("sum", "alsoA", "alsoB")[0];
            }

            return g.Run("sum");
        }

        var folded = Fold(true);
        var padded = Fold(false);
        Assert.Equal(new[] { 6, 9 }, folded.Shape);
        Assert.Equal(
            padded.Data.Cast<object>().Select(v => v is float f ? BitConverter.DoubleToInt64Bits(f) : BitConverter.DoubleToInt64Bits((double)v)),
            folded.Data.Cast<object>().Select(v => v is float f ? BitConverter.DoubleToInt64Bits(f) : BitConverter.DoubleToInt64Bits((double)v)));
        var first = Convert.ToDouble(folded.Data.GetValue(2)); // a[0, 0] = −0 → +0
        Assert.Equal(0L, BitConverter.DoubleToInt64Bits(first));

        var bad = new TestGraph();
        bad.D("x", new[] { 1.0, 2 }, 2);
        bad.I("ok", new[] { 1, 0 }, 1, 2);
        bad.I("neg", new[] { -1, 3 }, 1, 2);
        bad.Op("P", "Pad", new[] { "x", "ok" });
        bad.Op("Q", "Pad", new[] { "x", "neg" });
        bad.Op("S", "AddN", new[] { "P", "Q" }, Int("N", 2));
        var ex = Assert.Throws<GraphExecutionException>(() => bad.Run("S"));
        Assert.Equal("Q", ex.NodeName);
    }

    /// <summary>Elementwise kernels may write into a dying input, never into a constant or a tensor still needed.</summary>
    [Fact]
    public void InPlaceReuseNeverClobbersLiveTensors()
    {
        var g = new TestGraph();
        g.D("x", new[] { 1.0, 2 }, 2);
        g.Op("a", "Neg", new[] { "x" });      // a dies in b, but x is a constant
        g.Op("b", "Square", new[] { "a" });   // may overwrite a
        g.Op("c", "Add", new[] { "b", "x" }); // may overwrite b
        g.Op("keep", "Identity", new[] { "a" });
        var interp = new GraphInterpreter(g.Def);
        var r = interp.Run(new Dictionary<string, TensorValue>(), new[] { "c", "keep", "x" });
        Assert.Equal(new[] { 2.0, 6 }, Doubles(r[0]));
        Assert.Equal(new[] { -1.0, -2 }, Doubles(r[1]));
        Assert.Equal(new[] { 1.0, 2 }, Doubles(r[2]));
        var again = interp.Run(new Dictionary<string, TensorValue>(), new[] { "c" });
        Assert.Equal(new[] { 2.0, 6 }, Doubles(again[0]));
    }
}
