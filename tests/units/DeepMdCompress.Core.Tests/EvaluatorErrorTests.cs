using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Evaluation;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using Xunit;
using static DeepMdCompress.Core.Tests.EvaluatorTestData;

namespace DeepMdCompress.Core.Tests;

/// <summary>Bad input to the evaluator: each failure is a typed exception with a specific id.</summary>
public class EvaluatorErrorTests
{
    private static T Fails<T>(Action action, string errorId)
        where T : DeepMdException
    {
        var ex = Assert.Throws<T>(action);
        Assert.Equal(errorId, ex.ErrorId);
        return ex;
    }

    [SkippableFact]
    public void WrongCoordinateCount()
    {
        var c = DeepPotA();
        var ev = Evaluator("deeppot.pbtxt");
        var ex = Fails<InvalidParameterException>(() => ev.Evaluate(c.Coord.Take(17).ToArray(), c.Types, c.Box), "CoordinateCountMismatch");
        Assert.Contains("17", ex.Message);
        Fails<InvalidParameterException>(() => ev.Evaluate(Array.Empty<double>(), c.Types, c.Box), "CoordinateCountMismatch");
        Fails<InvalidParameterException>(() => ev.Evaluate(c.Coord, c.Types, c.Box, frames: 2), "CoordinateCountMismatch");
    }

    [SkippableFact]
    public void UnknownAtomTypes()
    {
        var c = DeepPotA();
        var ev = Evaluator("deeppot.pbtxt");
        var high = (int[])c.Types.Clone();
        high[3] = 2;
        var ex = Fails<InvalidParameterException>(() => ev.Evaluate(c.Coord, high, c.Box), "UnknownAtomType");
        Assert.Contains("Atom 3", ex.Message);
        Assert.Contains("O H", ex.Message);
        var negative = (int[])c.Types.Clone();
        negative[0] = -1;
        Fails<InvalidParameterException>(() => ev.Evaluate(c.Coord, negative, c.Box), "UnknownAtomType");
    }

    [SkippableFact]
    public void NonFiniteCoordinates()
    {
        var c = DeepPotA();
        var ev = Evaluator("deeppot.pbtxt");
        var nan = (double[])c.Coord.Clone();
        nan[7] = double.NaN;
        var ex = Fails<InvalidParameterException>(() => ev.Evaluate(nan, c.Types, c.Box), "NonFiniteCoordinate");
        Assert.Contains("atom 2", ex.Message);
        var inf = (double[])c.Coord.Clone();
        inf[0] = double.PositiveInfinity;
        Fails<InvalidParameterException>(() => ev.Evaluate(inf, c.Types), "NonFiniteCoordinate");
    }

    [SkippableFact]
    public void BadBoxes()
    {
        var c = DeepPotA();
        var ev = Evaluator("deeppot.pbtxt");
        Fails<InvalidParameterException>(() => ev.Evaluate(c.Coord, c.Types, new double[9]), "DegenerateBox");
        var flat = new[] { 13.0, 0, 0, 0, 13, 0, 13, 13, 0 }; // c lies in the a–b plane
        Fails<InvalidParameterException>(() => ev.Evaluate(c.Coord, c.Types, flat), "DegenerateBox");
        Fails<InvalidParameterException>(() => ev.Evaluate(c.Coord, c.Types, new double[8]), "BoxCountMismatch");
        var nan = (double[])c.Box.Clone();
        nan[4] = double.NaN;
        Fails<InvalidParameterException>(() => ev.Evaluate(c.Coord, c.Types, nan), "NonFiniteBox");
    }

    [SkippableFact]
    public void FrameAndAtomParameterCounts()
    {
        var c = DeepPotA();
        var ev = Evaluator("fparam_aparam.pbtxt");
        var types = new int[6];
        var aparam = new double[6];
        Fails<InvalidParameterException>(() => ev.Evaluate(c.Coord, types, c.Box, null, aparam), "FrameParameterMismatch");
        Fails<InvalidParameterException>(() => ev.Evaluate(c.Coord, types, c.Box, new[] { 1.0, 2.0 }, aparam), "FrameParameterMismatch");
        Fails<InvalidParameterException>(() => ev.Evaluate(c.Coord, types, c.Box, new[] { 1.0 }, new double[5]), "AtomParameterMismatch");
        Fails<InvalidParameterException>(() => Evaluator("deeppot.pbtxt").Evaluate(c.Coord, c.Types, c.Box, new[] { 1.0 }), "FrameParameterMismatch");

        // As deepmd-kit's Python DeepPot, one set of daparam values is shared by every atom of every frame.
        var two = c.Coord.Concat(c.Coord).ToArray();
        var perAtom = ev.Evaluate(two, types, c.Box, new[] { 0.25 }, Enumerable.Repeat(0.5, 6).ToArray());
        var shared = ev.Evaluate(two, types, c.Box, new[] { 0.25 }, new[] { 0.5 });
        Assert.Equal(2, shared.Count);
        Assert.Equal(perAtom.Select(r => r.Energy), shared.Select(r => r.Energy));
        Assert.Equal(perAtom[1].Force, shared[1].Force);
    }

    [SkippableFact]
    public void GraphWithoutARequiredNode()
    {
        var c = DeepPotA();
        var graph = LoadModel("deeppot.pbtxt").GetGraphDef().Clone();
        graph.Node.Remove(graph.Node.Single(n => n.Name == "o_energy"));
        var model = FrozenModelReader.FromGraph(graph, null, GraphFormat.Text);
        var ex = Fails<ModelStructureException>(() => new DeepPotEvaluator(model).Evaluate(c.Coord, c.Types, c.Box), "MissingNode");
        Assert.Contains("o_energy", ex.Message);

        var noRcut = LoadModel("deeppot.pbtxt").GetGraphDef().Clone();
        noRcut.Node.Remove(noRcut.Node.Single(n => n.Name == "descrpt_attr/rcut"));
        var m2 = FrozenModelReader.FromGraph(noRcut, null, GraphFormat.Text);
        Assert.Contains("descrpt_attr/rcut", Fails<ModelStructureException>(() => new DeepPotEvaluator(m2), "MissingNode").Message);
    }

    [SkippableFact]
    public void GraphWithAnUnknownOp()
    {
        var c = DeepPotA();
        var graph = LoadModel("deeppot.pbtxt").GetGraphDef().Clone();
        var node = graph.Node.First(n => n.Op == "Tanh");
        node.Op = "TabulateFusionSeQ";
        var model = FrozenModelReader.FromGraph(graph, null, GraphFormat.Text);
        var ex = Fails<GraphExecutionException>(() => new DeepPotEvaluator(model).Evaluate(c.Coord, c.Types, c.Box), "UnsupportedOp");
        Assert.Equal(node.Name, ex.NodeName);
        Assert.Equal("TabulateFusionSeQ", ex.OpType);
        Assert.Contains(node.Name, ex.Message);
    }

    [SkippableFact]
    public void UnknownOutputNameAndCancellation()
    {
        var c = DeepPotA();
        var ev = Evaluator("deeppot.pbtxt");
        Fails<ModelStructureException>(() => ev.EvaluateNodes(c.Coord, c.Types, c.Box, null, null, new[] { "no_such_node" }), "MissingNode");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ev.Evaluate(c.Coord, c.Types, c.Box, cancellationToken: cts.Token));
    }
}
