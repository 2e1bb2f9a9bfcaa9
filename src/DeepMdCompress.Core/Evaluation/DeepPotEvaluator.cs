using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Evaluation;

/// <summary>
/// Evaluates a DeePMD frozen model on atomic configurations the way deepmd-kit's C++ <c>DeepPot</c> (energy
/// models) and <c>DeepTensor</c> (dipole, polar) do without a neighbour list (docs/evaluator.md#input-preparation):
/// atoms sorted by type, feeds t_coord/t_type/t_box/t_mesh/t_natoms(/t_fparam/t_aparam), outputs mapped
/// back to the caller's atom order. The graph itself runs on <see cref="GraphInterpreter"/>.
/// </summary>
public sealed class DeepPotEvaluator
{
    private readonly GraphIndex _index;

    public DeepPotEvaluator(FrozenModel model, OpRegistry? registry = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        var graph = model.GetGraphDef();
        _index = model.Index;
        Interpreter = new GraphInterpreter(graph, registry);

        var rcut = RequiredConst("descrpt_attr/rcut");
        IsSinglePrecision = rcut.DType != DataType.DtDouble;
        Rcut = rcut.ScalarDouble();
        NTypes = checked((int)RequiredConst("descrpt_attr/ntypes").ScalarInt64());
        if (NTypes <= 0)
        {
            throw new ModelStructureException(ErrorIds.InvalidNTypes, $"descrpt_attr/ntypes is {NTypes}; it must be positive.");
        }

        DimFParam = Math.Max(0, (int)(OptionalConst("fitting_attr/dfparam")?.ScalarInt64() ?? 0));
        DimAParam = Math.Max(0, (int)(OptionalConst("fitting_attr/daparam")?.ScalarInt64() ?? 0));
        var type = RequiredConst("model_attr/model_type");
        ModelType = type.DType == DataType.DtString ? type.ScalarString() : throw new ModelStructureException(ErrorIds.InvalidModelType, "model_attr/model_type is not a string.");
        switch (ModelType)
        {
            case "ener":
                break;
            case "dipole":
            case "polar":
                OutputDim = checked((int)RequiredConst("model_attr/output_dim").ScalarInt64());
                SelectedTypes = RequiredConst("model_attr/sel_type").AsInt32Array();
                break;
            default:
                throw new UnsupportedModelException(ErrorIds.UnsupportedModelType,
                    $"Model type '{ModelType}' cannot be evaluated; supported are ener, dipole and polar.");
        }
    }

    public FrozenModel Model { get; }

    public GraphInterpreter Interpreter { get; }

    /// <summary>ener, dipole or polar.</summary>
    public string ModelType { get; }

    public int NTypes { get; }

    public double Rcut { get; }

    public int DimFParam { get; }

    public int DimAParam { get; }

    /// <summary>True when <c>descrpt_attr/rcut</c> is not DT_DOUBLE: inputs are fed as float32.</summary>
    public bool IsSinglePrecision { get; }

    /// <summary>Components per atom of a tensor model (3 dipole, 9 polar); 0 for energy models.</summary>
    public int OutputDim { get; }

    /// <summary>Atom types a tensor model predicts for (model_attr/sel_type).</summary>
    public int[] SelectedTypes { get; } = Array.Empty<int>();

    /// <summary>
    /// Frames per graph run. 0 (default) batches frames up to about <see cref="AutoBatchAtoms"/> atoms per run
    /// (deepmd-kit's Python API batches automatically too). Frames are independent, so results do not depend on it.
    /// </summary>
    public int FramesPerRun { get; set; }

    /// <summary>
    /// How dipole/polar atomic tensors are returned: for every atom with zeros for types outside sel_type, as deepmd-kit
    /// 3.x's DeepTensor does (default), or for the selected atoms only, as deepmd-kit 2.2's.
    /// </summary>
    public AtomTensorLayout AtomTensorLayout { get; set; } = AtomTensorLayout.AllAtoms;

    /// <summary>Atoms per graph run when <see cref="FramesPerRun"/> is 0: bounds the memory of many-frame calls.</summary>
    public const int AutoBatchAtoms = 16384;

    /// <summary>Threads the kernels may use.</summary>
    public int MaxDegreeOfParallelism
    {
        get => Interpreter.MaxDegreeOfParallelism;
        set => Interpreter.MaxDegreeOfParallelism = Math.Max(1, value);
    }

    /// <summary>
    /// Evaluates one or more frames. <paramref name="coordinates"/> holds nframes·natoms·3 values (frame after
    /// frame), <paramref name="atomTypes"/> the natoms types shared by all frames. <paramref name="box"/>:
    /// null/empty for an open system, 9 values (used for every frame) or nframes·9. Frame parameters: dfparam
    /// values (every frame) or nframes·dfparam; atomic parameters: natoms·daparam or nframes·natoms·daparam.
    /// <paramref name="progress"/> gets the frames done so far, always on the calling thread.
    /// </summary>
    public IReadOnlyList<ModelOutput> Evaluate(
        double[] coordinates, int[] atomTypes, double[]? box = null, double[]? frameParameters = null, double[]? atomParameters = null,
        int? frames = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var input = Validate(coordinates, atomTypes, box, frameParameters, atomParameters, frames);
        var results = new List<ModelOutput>(input.Frames);
        if (input.Natoms == 0)
        {
            // deepmd-kit returns zeros without running the graph.
            for (int f = 0; f < input.Frames; f++)
            {
                results.Add(ModelType == "ener"
                    ? new ModelOutput(f, 0, ModelType) { Energy = 0, Force = Array.Empty<double>(), Virial = new double[9], AtomEnergy = Array.Empty<double>(), AtomVirial = Array.Empty<double>() }
                    : new ModelOutput(f, 0, ModelType) { Tensor = new double[OutputDim], AtomTensor = Array.Empty<double>(), TensorAtoms = Array.Empty<int>() });
            }

            progress?.Report(input.Frames);
            return results;
        }

        int threads = MaxDegreeOfParallelism;
        if (FramesPerRun == 0 && threads > 1 && input.Frames > 1)
        {
            return EvaluateInParallel(input, threads, progress, cancellationToken);
        }

        int batch = FramesPerRun > 0 ? FramesPerRun : Math.Max(1, AutoBatchAtoms / input.Natoms);
        for (int start = 0; start < input.Frames; start += batch)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(batch, input.Frames - start);
            Run(input, start, count, results, null, cancellationToken);
            progress?.Report(start + count);
        }

        return results;
    }

    /// <summary>Atoms per graph run when frames run in parallel: small runs whose tensors stay in cache.</summary>
    public const int ParallelBatchAtoms = 1024;

    /// <summary>
    /// Many frames on several threads: runs of a few frames (<see cref="ParallelBatchAtoms"/>), each on one thread,
    /// side by side — no synchronisation inside a run, and tensors small enough for the cache. Each frame's
    /// results are those of a serial run (docs/evaluator.md#speed).
    /// </summary>
    private IReadOnlyList<ModelOutput> EvaluateInParallel(Input input, int threads, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        // As many runs as fit the cache, rounded up to a multiple of the threads so that none idles at the end.
        int largest = Math.Max(1, Math.Min(AutoBatchAtoms, ParallelBatchAtoms) / input.Natoms);
        int runs = (input.Frames + largest - 1) / largest;
        runs = Math.Min(input.Frames, (runs + threads - 1) / threads * threads);
        int batch = (input.Frames + runs - 1) / runs;
        runs = (input.Frames + batch - 1) / batch;
        var parts = new List<ModelOutput>[runs];
        int done = 0;
        int caller = Environment.CurrentManagedThreadId;
        OpContext.ParallelFor(runs, threads, cancellationToken, r =>
        {
            int start = r * batch, count = Math.Min(batch, input.Frames - start);
            parts[r] = new List<ModelOutput>(count);
            Run(input, start, count, parts[r], 1, cancellationToken);
            int sofar = Interlocked.Add(ref done, count);

            // Progress is reported on the calling thread only: a cmdlet may write it only from its pipeline thread.
            if (Environment.CurrentManagedThreadId == caller)
            {
                progress?.Report(sofar);
            }
        });

        progress?.Report(input.Frames);
        return parts.SelectMany(p => p).ToList();
    }

    /// <summary>Frames [start, start + count) in one graph run, appended to <paramref name="results"/>.</summary>
    private void Run(Input input, int start, int count, List<ModelOutput> results, int? threads, CancellationToken ct)
    {
        var feeds = Feeds(input, start, count);
        if (ModelType == "ener")
        {
            EnergyOutputs(input, feeds, start, count, results, threads, ct);
        }
        else
        {
            TensorOutputs(input, feeds, start, count, results, threads, ct);
        }
    }

    /// <summary>
    /// Prepares the inputs exactly as <see cref="Evaluate"/> does (all frames in one run) and returns the raw
    /// values of any graph tensors (<c>node</c> or <c>node:k</c>), e.g. <c>o_descriptor</c>. Per-atom axes are
    /// in type-sorted order (<see cref="NodeValue.AtomOrder"/>).
    /// </summary>
    public IReadOnlyList<NodeValue> EvaluateNodes(
        double[] coordinates, int[] atomTypes, double[]? box, double[]? frameParameters, double[]? atomParameters,
        IReadOnlyList<string> outputNames, int? frames = null, CancellationToken cancellationToken = default)
    {
        if (outputNames is null || outputNames.Count == 0)
        {
            throw new ArgumentException("At least one output name is required.", nameof(outputNames));
        }

        var input = Validate(coordinates, atomTypes, box, frameParameters, atomParameters, frames);
        var values = Interpreter.Run(Feeds(input, 0, input.Frames), outputNames, cancellationToken);
        return values.Select((v, i) => ToNodeValue(outputNames[i], v, input.Map.SortedToInput)).ToArray();
    }

    /// <summary>Runs the graph on explicit feeds (no input preparation) and returns the requested tensors.</summary>
    public TensorValue[] EvaluateNodes(IReadOnlyDictionary<string, TensorValue> feeds, IReadOnlyList<string> outputNames, CancellationToken cancellationToken = default) =>
        Interpreter.Run(feeds, outputNames, cancellationToken);

    /// <summary>The feeds deepmd-kit's C++ API would pass for these frames (docs/evaluator.md#input-preparation).</summary>
    public IReadOnlyDictionary<string, TensorValue> PrepareFeeds(
        double[] coordinates, int[] atomTypes, double[]? box = null, double[]? frameParameters = null, double[]? atomParameters = null, int? frames = null)
    {
        var input = Validate(coordinates, atomTypes, box, frameParameters, atomParameters, frames);
        return Feeds(input, 0, input.Frames);
    }

    #region Input preparation

    private sealed class Input
    {
        public int Frames;
        public int Natoms;
        public double[] Coord = Array.Empty<double>();
        public int[] Types = Array.Empty<int>();
        public double[]? Box; // nframes·9 when periodic
        public double[] FParam = Array.Empty<double>(); // nframes·dfparam
        public double[] AParam = Array.Empty<double>(); // nframes·natoms·daparam, input order
        public AtomMap Map = null!;
    }

    private Input Validate(double[] coordinates, int[] atomTypes, double[]? box, double[]? fparam, double[]? aparam, int? frames)
    {
        if (coordinates is null)
        {
            throw new ArgumentNullException(nameof(coordinates));
        }

        if (atomTypes is null)
        {
            throw new ArgumentNullException(nameof(atomTypes));
        }

        int natoms = atomTypes.Length;
        int nframes;
        if (natoms == 0)
        {
            if (coordinates.Length != 0)
            {
                throw new InvalidParameterException(ErrorIds.CoordinateCountMismatch, $"{coordinates.Length} coordinates were given for 0 atoms.");
            }

            nframes = frames ?? (box is { Length: > 0 } ? Math.Max(1, box.Length / 9) : 1);
            if (nframes < 1)
            {
                throw new InvalidParameterException(ErrorIds.InvalidFrameCount, $"The frame count must be positive, got {nframes}.");
            }

            // Nothing to evaluate: deepmd-kit returns zeros without looking at box or parameters.
            return new Input { Frames = nframes, Natoms = 0, Coord = coordinates, Types = atomTypes, Map = new AtomMap(atomTypes) };
        }
        else
        {
            if (coordinates.Length == 0 || coordinates.Length % (3 * natoms) != 0)
            {
                throw new InvalidParameterException(ErrorIds.CoordinateCountMismatch,
                    $"{coordinates.Length} coordinates were given for {natoms} atoms; expected a positive multiple of 3·{natoms} = {3 * natoms} (x, y, z per atom, frame after frame).");
            }

            nframes = coordinates.Length / (3 * natoms);
            if (frames is int fr && fr != nframes)
            {
                throw new InvalidParameterException(ErrorIds.CoordinateCountMismatch, $"{coordinates.Length} coordinates hold {nframes} frame(s) of {natoms} atoms, not {fr}.");
            }
        }

        for (int i = 0; i < coordinates.Length; i++)
        {
            if (double.IsNaN(coordinates[i]) || double.IsInfinity(coordinates[i]))
            {
                throw new InvalidParameterException(ErrorIds.NonFiniteCoordinate,
                    $"Coordinate {i} (frame {i / Math.Max(1, 3 * natoms)}, atom {i / 3 % Math.Max(1, natoms)}, {"xyz"[i % 3]}) is {coordinates[i].ToString(CultureInfo.InvariantCulture)}.");
            }
        }

        for (int i = 0; i < natoms; i++)
        {
            if (atomTypes[i] < 0 || atomTypes[i] >= NTypes)
            {
                string names = Model.TypeMap is { } tm ? $" ({string.Join(" ", tm)})" : string.Empty;
                throw new InvalidParameterException(ErrorIds.UnknownAtomType,
                    $"Atom {i} has type {atomTypes[i]}, but the model knows types 0..{NTypes - 1}{names}.");
            }
        }

        var input = new Input { Frames = nframes, Natoms = natoms, Coord = coordinates, Types = atomTypes, Map = new AtomMap(atomTypes) };
        if (box is { Length: > 0 })
        {
            if (box.Length != 9 && box.Length != 9 * nframes)
            {
                throw new InvalidParameterException(ErrorIds.BoxCountMismatch,
                    $"The box has {box.Length} values; give 9 (one box for every frame) or 9·{nframes} = {9 * nframes} (one per frame), or none for an open system.");
            }

            input.Box = new double[9 * nframes];
            for (int f = 0; f < nframes; f++)
            {
                Array.Copy(box, box.Length == 9 ? 0 : 9 * f, input.Box, 9 * f, 9);
                CheckBox(input.Box, f);
            }
        }

        input.FParam = Parameters(fparam, DimFParam, 1, nframes, ErrorIds.FrameParameterMismatch, "frame");
        input.AParam = Parameters(aparam, DimAParam, natoms, nframes, ErrorIds.AtomParameterMismatch, "atomic");
        return input;
    }

    private static void CheckBox(double[] boxes, int frame)
    {
        var b = new double[9];
        Array.Copy(boxes, 9 * frame, b, 0, 9);
        if (b.Any(v => double.IsNaN(v) || double.IsInfinity(v)))
        {
            throw new InvalidParameterException(ErrorIds.NonFiniteBox, $"The box of frame {frame} contains NaN or infinite values.");
        }

        double det = (b[0] * ((b[4] * b[8]) - (b[5] * b[7]))) - (b[1] * ((b[3] * b[8]) - (b[5] * b[6]))) + (b[2] * ((b[3] * b[7]) - (b[4] * b[6])));
        double scale = Norm(b, 0) * Norm(b, 3) * Norm(b, 6);
        if (!(Math.Abs(det) > 1e-12 * scale) || scale == 0)
        {
            throw new InvalidParameterException(ErrorIds.DegenerateBox,
                $"The box of frame {frame} has zero volume (cell vectors [{string.Join(", ", b.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}] are linearly dependent).");
        }

        static double Norm(double[] v, int o) => Math.Sqrt((v[o] * v[o]) + (v[o + 1] * v[o + 1]) + (v[o + 2] * v[o + 2]));
    }

    /// <summary>deepmd-kit's tiling rule: per-call values for every frame, or one set per frame; anything else throws.</summary>
    private static double[] Parameters(double[]? values, int dim, int perFrameCount, int nframes, string errorId, string what)
    {
        int per = dim * perFrameCount;
        values ??= Array.Empty<double>();
        if (values.Length == 0 && per == 0)
        {
            return Array.Empty<double>();
        }

        if (values.Any(v => double.IsNaN(v) || double.IsInfinity(v)))
        {
            throw new InvalidParameterException(ErrorIds.NonFiniteParameter, $"The {what} parameters contain NaN or infinite values.");
        }

        if (per > 0 && values.Length == per)
        {
            var tiled = new double[per * nframes];
            for (int f = 0; f < nframes; f++)
            {
                Array.Copy(values, 0, tiled, f * per, per);
            }

            return tiled;
        }

        if (per > 0 && values.Length == per * nframes)
        {
            return values;
        }

        // deepmd-kit's Python DeepPot also takes one set of dim values for every atom of every frame.
        if (per > 0 && perFrameCount > 1 && values.Length == dim)
        {
            var tiled = new double[per * nframes];
            for (int k = 0; k < perFrameCount * nframes; k++)
            {
                Array.Copy(values, 0, tiled, k * dim, dim);
            }

            return tiled;
        }

        throw new InvalidParameterException(errorId,
            $"{values.Length} {what} parameter value(s) were given, but the model uses {dim} per {(what == "frame" ? "frame" : "atom")}"
            + (per > 0 ? $": give {per} (shared by all frames) or {per * nframes} (one set per frame)"
                + (perFrameCount > 1 ? $", or {dim} (shared by every atom)." : ".") : ", so none may be given."));
    }

    private Dictionary<string, TensorValue> Feeds(Input input, int start, int count)
    {
        int n = input.Natoms;
        var map = input.Map;
        var coord = new double[count * n * 3];
        for (int f = 0; f < count; f++)
        {
            map.Forward<double>(input.Coord.AsSpan((start + f) * n * 3, n * 3), coord.AsSpan(f * n * 3, n * 3), 3);
        }

        var type = new int[count * n];
        for (int f = 0; f < count; f++)
        {
            Array.Copy(map.SortedTypes, 0, type, f * n, n);
        }

        var box = new double[count * 9];
        if (input.Box is not null)
        {
            Array.Copy(input.Box, start * 9, box, 0, count * 9);
        }

        var natoms = new int[2 + NTypes];
        natoms[0] = n;
        natoms[1] = n;
        foreach (int t in input.Types)
        {
            natoms[2 + t]++;
        }

        var feeds = new Dictionary<string, TensorValue>(StringComparer.Ordinal)
        {
            ["t_coord"] = Real(coord, count, n * 3),
            ["t_type"] = new(DataType.DtInt32, new[] { count, n }, type),
            ["t_box"] = Real(box, count, 9),
            ["t_mesh"] = new(DataType.DtInt32, new[] { input.Box is null ? 0 : 6 }, new int[input.Box is null ? 0 : 6]),
            ["t_natoms"] = new(DataType.DtInt32, new[] { natoms.Length }, natoms),
        };
        if (DimFParam > 0)
        {
            var fp = new double[count * DimFParam];
            Array.Copy(input.FParam, start * DimFParam, fp, 0, fp.Length);
            feeds["t_fparam"] = Real(fp, count, DimFParam);
        }

        if (DimAParam > 0)
        {
            var ap = new double[count * n * DimAParam];
            for (int f = 0; f < count; f++)
            {
                map.Forward<double>(input.AParam.AsSpan((start + f) * n * DimAParam, n * DimAParam), ap.AsSpan(f * n * DimAParam, n * DimAParam), DimAParam);
            }

            feeds["t_aparam"] = Real(ap, count, n * DimAParam);
        }

        return feeds;
    }

    private TensorValue Real(double[] values, params int[] shape) =>
        IsSinglePrecision ? new TensorValue(DataType.DtFloat, shape, Array.ConvertAll(values, v => (float)v)) : new TensorValue(DataType.DtDouble, shape, values);

    #endregion

    #region Outputs

    private void EnergyOutputs(Input input, Dictionary<string, TensorValue> feeds, int start, int count, List<ModelOutput> results, int? threads, CancellationToken ct)
    {
        int n = input.Natoms;
        var v = Interpreter.Run(feeds, new[] { "o_energy", "o_force", "o_atom_energy", "o_atom_virial" }, threads, ct);
        var energy = Widen(v[0], "o_energy", count);
        var force = Widen(v[1], "o_force", count * n * 3);
        var atomEnergy = Widen(v[2], "o_atom_energy", count * n);
        var atomVirial = Widen(v[3], "o_atom_virial", count * n * 9);
        for (int f = 0; f < count; f++)
        {
            var o = new ModelOutput(start + f, n, ModelType) { Energy = energy[f] };
            var fo = new double[n * 3];
            input.Map.Backward<double>(force.AsSpan(f * n * 3, n * 3), fo, 3);
            var ae = new double[n];
            input.Map.Backward<double>(atomEnergy.AsSpan(f * n, n), ae, 1);
            var av = new double[n * 9];
            input.Map.Backward<double>(atomVirial.AsSpan(f * n * 9, n * 9), av, 9);

            // Total virial: sequential sum of the atomic virials in sorted (graph) order, as the C++ API does.
            var virial = new double[9];
            for (int k = 0; k < n; k++)
            {
                for (int c = 0; c < 9; c++)
                {
                    virial[c] += atomVirial[(((f * n) + k) * 9) + c];
                }
            }

            o.Force = fo;
            o.AtomEnergy = ae;
            o.AtomVirial = av;
            o.Virial = virial;
            results.Add(o);
        }
    }

    private void TensorOutputs(Input input, Dictionary<string, TensorValue> feeds, int start, int count, List<ModelOutput> results, int? threads, CancellationToken ct)
    {
        int n = input.Natoms, odim = OutputDim;
        string name = "o_" + ModelType;
        string global = "o_global_" + ModelType;
        bool hasGlobal = Interpreter.Contains(global);
        var fetch = hasGlobal ? new[] { name, global } : new[] { name };
        var v = Interpreter.Run(feeds, fetch, threads, ct);

        // Selected atoms: those whose type is in sel_type, in sorted order in the graph, in input order for the caller.
        var selected = new HashSet<int>(SelectedTypes);
        var inputSelected = Enumerable.Range(0, n).Where(i => selected.Contains(input.Types[i])).ToArray();
        var rank = new int[n];
        for (int r = 0; r < inputSelected.Length; r++)
        {
            rank[inputSelected[r]] = r;
        }

        int nsel = inputSelected.Length;
        var values = Widen(v[0], name, count * nsel * odim);
        var globals = hasGlobal ? Widen(v[1], global, count * odim) : null;
        bool all = AtomTensorLayout == AtomTensorLayout.AllAtoms;
        var tensorAtoms = all ? Enumerable.Range(0, n).ToArray() : inputSelected;
        for (int f = 0; f < count; f++)
        {
            var atomTensor = new double[(all ? n : nsel) * odim];
            int c = 0;
            for (int k = 0; k < n; k++)
            {
                int i = input.Map.SortedToInput[k];
                if (!selected.Contains(input.Types[i]))
                {
                    continue;
                }

                Array.Copy(values, (((f * nsel) + c) * odim), atomTensor, (all ? i : rank[i]) * odim, odim);
                c++;
            }

            var tensor = new double[odim];
            if (globals is not null)
            {
                Array.Copy(globals, f * odim, tensor, 0, odim);
            }
            else
            {
                for (int s = 0; s < nsel; s++)
                {
                    for (int d = 0; d < odim; d++)
                    {
                        tensor[d] += values[(((f * nsel) + s) * odim) + d];
                    }
                }
            }

            results.Add(new ModelOutput(start + f, n, ModelType) { AtomTensor = atomTensor, Tensor = tensor, TensorAtoms = tensorAtoms });
        }
    }

    private static double[] Widen(TensorValue t, string name, int expected)
    {
        if (t.Count != expected)
        {
            throw new GraphExecutionException(ErrorIds.UnexpectedOutputShape,
                $"The graph output '{name}' has shape {Shapes.Format(t.Shape)} ({t.Count} values), but {expected} were expected.", name);
        }

        return t.Data switch
        {
            double[] d => d,
            float[] f => Array.ConvertAll(f, x => (double)x),
            _ => throw new GraphExecutionException(ErrorIds.UnexpectedOutputShape, $"The graph output '{name}' has dtype {TensorDecoder.Name(t.DType)}, not a floating-point type.", name),
        };
    }

    private static NodeValue ToNodeValue(string name, TensorValue t, int[] atomOrder)
    {
        Array values = t.Data is byte[][] s ? s.Select(b => Encoding.UTF8.GetString(b)).ToArray() : (Array)t.Data.Clone();
        return new NodeValue(name, TensorDecoder.Name(t.DType), (int[])t.Shape.Clone(), values, (int[])atomOrder.Clone());
    }

    #endregion

    private TensorValue RequiredConst(string name)
    {
        var node = _index.Find(name) ?? throw new ModelStructureException(ErrorIds.MissingNode,
            $"The graph has no node named '{name}', which deepmd-kit's inference reads; the model cannot be evaluated.");
        return _index.TryGetConst(node.Name) ?? throw new ModelStructureException(ErrorIds.InvalidModelAttribute, $"The node '{name}' is not a constant.");
    }

    private TensorValue? OptionalConst(string name) => _index.TryGetConst(name);
}

/// <summary>How a dipole or polar model's atomic tensors are laid out.</summary>
public enum AtomTensorLayout
{
    /// <summary>One entry per atom, zeros for atoms whose type is not in sel_type (deepmd-kit 3.x).</summary>
    AllAtoms = 0,

    /// <summary>Entries for the atoms whose type is in sel_type only, in input order (deepmd-kit 2.2).</summary>
    SelectedAtoms = 1,
}
