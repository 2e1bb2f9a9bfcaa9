using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Evaluation;

/// <summary>
/// Executes a frozen GraphDef the way a TensorFlow session does: only the nodes the requested outputs depend
/// on run, each once per run, in dependency order. Fed tensors replace their nodes (and everything only they
/// need). Each intermediate output is released as soon as its last reader has run, and its buffer is reused by
/// later nodes and runs. Constants are decoded once and kept for later runs. The plan for a given (feeds, fetches)
/// pair is compiled once and reused; it runs a few node chains as one kernel with the same results (the zero Pads
/// an AddN alone reads, a dense layer's MatMul, bias and tanh: GraphInterpreter.Fusion.cs).
/// </summary>
public sealed partial class GraphInterpreter
{
    private readonly NodeDef[] _nodes;
    private readonly Dictionary<string, int> _byName;
    private readonly TensorValue[]?[] _constCache;
    private readonly ConcurrentDictionary<string, Plan> _plans = new(StringComparer.Ordinal);
    // Buffers kept from finished runs, one pool per run that may be under way at once (frames in parallel).
    private readonly ConcurrentBag<BufferPool> _kept = new();

    public GraphInterpreter(GraphDef graph, OpRegistry? registry = null)
    {
        Graph = graph ?? throw new ArgumentNullException(nameof(graph));
        Registry = registry ?? OpRegistry.CreateDefault();
        _nodes = graph.Node.ToArray();
        _byName = new Dictionary<string, int>(_nodes.Length, StringComparer.Ordinal);
        for (int i = 0; i < _nodes.Length; i++)
        {
            if (_byName.ContainsKey(_nodes[i].Name))
            {
                throw new ModelStructureException(ErrorIds.DuplicateNode, $"The graph has two nodes named '{_nodes[i].Name}'; TensorFlow would refuse to load it.");
            }

            _byName.Add(_nodes[i].Name, i);
        }

        _constCache = new TensorValue[]?[_nodes.Length];
    }

    public GraphDef Graph { get; }

    public OpRegistry Registry { get; }

    /// <summary>Threads a kernel may use (default: all processors). 1 runs everything serially.</summary>
    public int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Whether the buffers of a run's intermediate tensors are kept for the next run (default true): evaluating frame
    /// after frame then allocates almost nothing, so there is no garbage collection and no fresh memory to fault in.
    /// At most twice the run's peak working memory (<see cref="LastRunPeakBytes"/>) is kept, per run under way at
    /// once (frames in parallel); <see cref="ReleaseBuffers"/> lets go of it.
    /// </summary>
    public bool RetainBuffers { get; set; } = true;

    /// <summary>Drops the buffers kept from the last run (they are garbage-collected as usual).</summary>
    public void ReleaseBuffers()
    {
        while (_kept.TryTake(out _))
        {
        }
    }

    /// <summary>When set, receives every executed node and how long its kernel took (diagnostics).</summary>
    public Action<NodeDef, TimeSpan>? NodeTimed { get; set; }

    public bool Contains(string nodeName) => _byName.ContainsKey(nodeName);

    /// <summary>The node called <paramref name="nodeName"/>, or null.</summary>
    public NodeDef? FindNode(string nodeName) => _byName.TryGetValue(nodeName, out int i) ? _nodes[i] : null;

    /// <summary>Evaluates one tensor (<c>node</c> or <c>node:k</c>).</summary>
    public TensorValue Run(IReadOnlyDictionary<string, TensorValue> feeds, string fetch, CancellationToken cancellationToken = default) =>
        Run(feeds, new[] { fetch }, cancellationToken)[0];

    /// <summary>
    /// Evaluates <paramref name="fetches"/> (<c>node</c> or <c>node:k</c>) given <paramref name="feeds"/>
    /// (keyed the same way). Any node may be fed; Placeholders that are needed must be.
    /// </summary>
    public TensorValue[] Run(IReadOnlyDictionary<string, TensorValue> feeds, IReadOnlyList<string> fetches, CancellationToken cancellationToken = default) =>
        Run(feeds, fetches, null, cancellationToken);

    /// <summary>As <see cref="Run(IReadOnlyDictionary{string, TensorValue}, IReadOnlyList{string}, CancellationToken)"/>, with the kernels on at most <paramref name="threads"/> threads.</summary>
    internal TensorValue[] Run(IReadOnlyDictionary<string, TensorValue> feeds, IReadOnlyList<string> fetches, int? threads, CancellationToken cancellationToken)
    {
        if (feeds is null)
        {
            throw new ArgumentNullException(nameof(feeds));
        }

        if (fetches is null || fetches.Count == 0)
        {
            throw new ArgumentException("At least one output name is required.", nameof(fetches));
        }

        var feedKeys = new List<(int Node, int Output, TensorValue Value)>(feeds.Count);
        foreach (var kv in feeds)
        {
            var (node, output) = Resolve(kv.Key, "feed");
            if (kv.Value is null)
            {
                throw new ArgumentException($"The feed '{kv.Key}' has no value.", nameof(feeds));
            }

            CheckFeed(_nodes[node], output, kv.Value);
            feedKeys.Add((node, output, kv.Value));
        }

        feedKeys.Sort((a, b) => a.Node != b.Node ? a.Node.CompareTo(b.Node) : a.Output.CompareTo(b.Output));
        string key = string.Join(",", feedKeys.Select(f => f.Node + ":" + f.Output)) + "|" + string.Join(",", fetches);
        var plan = _plans.GetOrAdd(key, _ => Compile(feedKeys.Select(f => (f.Node, f.Output)).ToArray(), fetches));
        var feedValues = feedKeys.Select(f => f.Value).ToArray();
        return Execute(plan, feedValues, threads ?? MaxDegreeOfParallelism, cancellationToken);
    }

    private (int Node, int Output) Resolve(string name, string role)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException($"An empty {role} name was given.");
        }

        var (nodeName, output) = GraphIndex.ParseInput(name);
        if (output < 0)
        {
            throw new ArgumentException($"'{name}' is a control input, not a tensor name.");
        }

        if (!_byName.TryGetValue(nodeName, out int node))
        {
            throw new ModelStructureException(ErrorIds.MissingNode, $"The graph has no node named '{nodeName}' (requested as {role} '{name}').");
        }

        return (node, output);
    }

    private static void CheckFeed(NodeDef node, int output, TensorValue value)
    {
        if (node.Op is "Placeholder" or "PlaceholderWithDefault" && output == 0
            && node.Attr.TryGetValue("dtype", out var dt) && dt.ValueCase == AttrValue.ValueOneofCase.Type && dt.Type != value.DType)
        {
            throw new GraphExecutionException(ErrorIds.FeedTypeMismatch,
                $"The feed for '{node.Name}' has dtype {TensorDecoder.Name(value.DType)} but the placeholder is {TensorDecoder.Name(dt.Type)}.",
                node.Name, node.Op, DeepMdErrorKind.InvalidArgument);
        }

        if (Shapes.Count(value.Shape) != value.Data.Length)
        {
            throw new ArgumentException($"The feed for '{node.Name}' has {value.Data.Length} elements but its shape {Shapes.Format(value.Shape)} needs {Shapes.Count(value.Shape)}.");
        }
    }

    #region Planning

    private sealed class Step
    {
        public int Node;
        public OpKernel Kernel = null!;
        public bool IsConst;

        /// <summary>Per input: whether it is the same constant tensor every run.</summary>
        public bool[] ConstantInput = Array.Empty<bool>();

        // Data inputs: producer step (>= 0) and output index, or fed tensor (Producer = -1 - feedIndex).
        public int[] Producer = Array.Empty<int>();
        public int[] Output = Array.Empty<int>();

        // Steps whose outputs can be released after this one ran (their last consumer).
        public int[] Release = Array.Empty<int>();

        // Outputs (producer step, output index) whose buffers no later step reads (later consumers, if any, read
        // only the shape).
        public (int Step, int Output)[] LastDataUse = Array.Empty<(int, int)>();

        // This step's outputs that a later step reads or that are fetched; the buffers of the others are released
        // as soon as the step has run.
        public int[] Needed = Array.Empty<int>();

        // Several nodes run as one kernel (GraphInterpreter.Fusion.cs): the inputs are the fused nodes' inputs.
        public bool Fused;
    }

    private sealed class Plan
    {
        public Step[] Steps = Array.Empty<Step>();

        // Fetch i: producer step or fed tensor (as in Step.Producer) and output index.
        public int[] FetchProducer = Array.Empty<int>();
        public int[] FetchOutput = Array.Empty<int>();
    }

    private Plan Compile((int Node, int Output)[] fed, IReadOnlyList<string> fetches)
    {
        var fedIndex = new Dictionary<long, int>();
        for (int i = 0; i < fed.Length; i++)
        {
            fedIndex[Key(fed[i].Node, fed[i].Output)] = i;
        }

        var fetchRefs = fetches.Select(f => Resolve(f, "output")).ToArray();

        // Iterative depth-first post-order from the fetches: no recursion, so graph depth is unlimited.
        const byte Unvisited = 0, Open = 1, Done = 2;
        var state = new byte[_nodes.Length];
        var stepOf = new int[_nodes.Length];
        var order = new List<int>();
        var stack = new Stack<(int Node, int NextInput)>();
        foreach (var (node, output) in fetchRefs)
        {
            if (fedIndex.ContainsKey(Key(node, output)) || state[node] == Done)
            {
                continue;
            }

            stack.Push((node, 0));
            state[node] = Open;
            while (stack.Count > 0)
            {
                var (n, next) = stack.Pop();
                var inputs = _nodes[n].Input;
                bool descended = false;
                for (int k = next; k < inputs.Count; k++)
                {
                    var (pName, pOut) = GraphIndex.ParseInput(inputs[k]);
                    if (!_byName.TryGetValue(pName, out int p))
                    {
                        throw new ModelStructureException(ErrorIds.MissingNode, $"Node '{_nodes[n].Name}' ({_nodes[n].Op}) has input '{inputs[k]}', but the graph has no node named '{pName}'.");
                    }

                    if (pOut >= 0 && fedIndex.ContainsKey(Key(p, pOut)))
                    {
                        continue;
                    }

                    if (state[p] == Open)
                    {
                        throw new ModelStructureException(ErrorIds.GraphCycle, $"The graph has a cycle through node '{_nodes[p].Name}'; frozen inference graphs have none.");
                    }

                    if (state[p] == Unvisited)
                    {
                        stack.Push((n, k + 1));
                        stack.Push((p, 0));
                        state[p] = Open;
                        descended = true;
                        break;
                    }
                }

                if (!descended)
                {
                    state[n] = Done;
                    stepOf[n] = order.Count;
                    order.Add(n);
                }
            }
        }

        var steps = new Step[order.Count];
        for (int s = 0; s < steps.Length; s++)
        {
            var node = _nodes[order[s]];
            if (!Registry.TryGet(node.Op, out var kernel))
            {
                throw new GraphExecutionException(ErrorIds.UnsupportedOp,
                    $"The evaluator does not implement op type '{node.Op}' (node '{node.Name}').", node.Name, node.Op, DeepMdErrorKind.NotImplemented);
            }

            var producers = new List<int>();
            var outputs = new List<int>();
            foreach (string input in node.Input)
            {
                var (pName, pOut) = GraphIndex.ParseInput(input);
                if (pOut < 0)
                {
                    continue; // control input: ordering only, already scheduled before this step
                }

                int p = _byName[pName];
                producers.Add(fedIndex.TryGetValue(Key(p, pOut), out int f) ? -1 - f : stepOf[p]);
                outputs.Add(pOut);
            }

            steps[s] = new Step
            {
                Node = order[s],
                Kernel = kernel,
                IsConst = node.Op == "Const",
                Producer = producers.ToArray(),
                Output = outputs.ToArray(),
            };
        }

        var fetchedSteps = new HashSet<int>(fetchRefs.Where(r => !fedIndex.ContainsKey(Key(r.Node, r.Output))).Select(r => stepOf[r.Node]));
        steps = Fuse(steps, fetchedSteps, out var newIndex);
        MarkConstantInputs(steps);

        var consumers = new int[steps.Length];
        var lastConsumer = new int[steps.Length];
        var lastDataConsumer = new Dictionary<long, int>();
        for (int s = 0; s < steps.Length; s++)
        {
            var step = steps[s];
            string op = _nodes[step.Node].Op;
            for (int k = 0; k < step.Producer.Length; k++)
            {
                int p = step.Producer[k];
                if (p < 0)
                {
                    continue;
                }

                consumers[p]++;
                lastConsumer[p] = s;
                if (step.Fused || !Registry.ReadsOnlyShape(op, k))
                {
                    lastDataConsumer[Key(p, step.Output[k])] = s;
                }
            }
        }

        var fetchProducer = new int[fetchRefs.Length];
        var fetchOutput = new int[fetchRefs.Length];
        var keep = new bool[steps.Length];
        var needed = new List<int>[steps.Length];
        for (int i = 0; i < fetchRefs.Length; i++)
        {
            var (node, output) = fetchRefs[i];
            fetchOutput[i] = output;
            if (fedIndex.TryGetValue(Key(node, output), out int f))
            {
                fetchProducer[i] = -1 - f;
            }
            else
            {
                int step = newIndex[stepOf[node]];
                fetchProducer[i] = step;
                keep[step] = true;
                (needed[step] ??= new List<int>()).Add(output);
            }
        }

        var release = new List<int>[steps.Length];
        for (int s = 0; s < steps.Length; s++)
        {
            if (!keep[s] && consumers[s] > 0)
            {
                (release[lastConsumer[s]] ??= new List<int>()).Add(s);
            }
        }

        // A fetched output is never released; any other output's buffer goes after its last data reader.
        var lastData = new List<(int, int)>[steps.Length];
        foreach (var kv in lastDataConsumer)
        {
            int producer = (int)(kv.Key >> 32), output = (int)(uint)kv.Key;
            if (needed[producer] is { } fetched && fetched.Contains(output))
            {
                continue;
            }

            (needed[producer] ??= new List<int>()).Add(output);
            (lastData[kv.Value] ??= new List<(int, int)>()).Add((producer, output));
        }

        for (int s = 0; s < steps.Length; s++)
        {
            steps[s].Release = release[s]?.ToArray() ?? Array.Empty<int>();
            steps[s].LastDataUse = lastData[s]?.ToArray() ?? Array.Empty<(int, int)>();
            steps[s].Needed = needed[s]?.Distinct().ToArray() ?? Array.Empty<int>();
        }

        return new Plan { Steps = steps, FetchProducer = fetchProducer, FetchOutput = fetchOutput };
    }

    /// <summary>
    /// The largest total size of intermediate tensors alive at once during the last <see cref="Run"/>
    /// (constants and feeds excluded): the working memory a graph needs per evaluation.
    /// </summary>
    public long LastRunPeakBytes { get; private set; }

    private static long Bytes(Array a) => a is byte[][] ? 0 : Buffer.ByteLength(a);

    private static long Key(int node, int output) => ((long)node << 32) | (uint)output;

    #endregion

    private TensorValue[] Execute(Plan plan, TensorValue[] feeds, int maxThreads, CancellationToken cancellationToken)
    {
        var values = new TensorValue[]?[plan.Steps.Length];
        int threads = Math.Max(1, maxThreads);

        // Outputs whose data is still to be read, per buffer (Reshape and Identity alias their input's buffer).
        // A buffer referenced only by an output whose last data reader is the current step may be overwritten
        // by that step; a buffer no such output references goes back to the pool.
        var refs = new Dictionary<Array, int>(ReferenceComparer.Instance);
        var pinned = new HashSet<Array>(ReferenceComparer.Instance);
        // A run takes the kept buffers for itself; concurrent runs start empty.
        var pool = RetainBuffers && _kept.TryTake(out var kept) ? kept : new BufferPool();
        var dataDead = new bool[plan.Steps.Length][];
        long live = 0, peak = 0;
        foreach (var f in feeds)
        {
            pinned.Add(f.Data);
        }

        for (int s = 0; s < plan.Steps.Length; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var step = plan.Steps[s];
            var node = _nodes[step.Node];
            if (step.IsConst && _constCache[step.Node] is { } cached)
            {
                values[s] = cached;
                foreach (var t in cached)
                {
                    pinned.Add(t.Data);
                }

                continue;
            }

            var inputs = new TensorValue[step.Producer.Length];
            bool[]? donatable = null;
            for (int k = 0; k < inputs.Length; k++)
            {
                inputs[k] = Output(plan, step.Producer[k], step.Output[k], values, feeds, node);
                int p = step.Producer[k];
                if (p >= 0 && Array.IndexOf(step.LastDataUse, (p, step.Output[k])) >= 0 && !pinned.Contains(inputs[k].Data)
                    && refs.TryGetValue(inputs[k].Data, out int count) && count == 1)
                {
                    (donatable ??= new bool[inputs.Length])[k] = true;
                }
            }

            var context = new OpContext(node, cancellationToken, threads) { Donatable = donatable, Pool = pool, ConstantInputs = step.ConstantInput };
            TensorValue[] outputs;
            var timer = NodeTimed;
            long started = timer is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                outputs = step.Kernel(context, inputs);
            }
            catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
            {
                throw Wrap(ex.InnerException!, node);
            }
            catch (Exception ex) when (ex is not DeepMdException and not OperationCanceledException)
            {
                throw Wrap(ex, node);
            }

            if (timer is not null)
            {
                timer(node, TimeSpan.FromSeconds((System.Diagnostics.Stopwatch.GetTimestamp() - started) / (double)System.Diagnostics.Stopwatch.Frequency));
            }

            values[s] = outputs;
            if (step.IsConst)
            {
                _constCache[step.Node] = outputs;
                foreach (var t in outputs)
                {
                    pinned.Add(t.Data);
                }
            }

            dataDead[s] = new bool[outputs.Length];
            foreach (var t in outputs)
            {
                var a = t.Data;
                if (refs.TryGetValue(a, out int c))
                {
                    refs[a] = c + 1;
                }
                else
                {
                    refs[a] = 1;
                    live += pinned.Contains(a) ? 0 : Bytes(a);
                }
            }

            peak = Math.Max(peak, live);

            // Outputs whose data no later step reads stop holding their buffers (shape readers may follow).
            for (int k = 0; k < outputs.Length; k++)
            {
                if (Array.IndexOf(step.Needed, k) < 0)
                {
                    DropData(s, k);
                }
            }

            foreach (var (r, k) in step.LastDataUse)
            {
                DropData(r, k);
            }

            foreach (int r in step.Release)
            {
                for (int k = 0; k < (values[r]?.Length ?? 0); k++)
                {
                    DropData(r, k);
                }

                values[r] = null;
            }
        }

        void DropData(int slot, int output)
        {
            if (dataDead[slot] is not { } dead || output >= dead.Length || dead[output] || values[slot] is not { } outs)
            {
                return; // constants are not tracked
            }

            dead[output] = true;
            var a = outs[output].Data;
            if (refs.TryGetValue(a, out int c))
            {
                if (c <= 1)
                {
                    refs.Remove(a);
                    if (!pinned.Contains(a))
                    {
                        live -= Bytes(a);
                        pool.Return(a);
                    }
                }
                else
                {
                    refs[a] = c - 1;
                }
            }
        }

        LastRunPeakBytes = peak;
        if (RetainBuffers)
        {
            pool.Trim(2 * peak);
            _kept.Add(pool);
        }

        var result = new TensorValue[plan.FetchProducer.Length];
        for (int i = 0; i < result.Length; i++)
        {
            int p = plan.FetchProducer[i];
            result[i] = Output(plan, p, plan.FetchOutput[i], values, feeds, null);
        }

        return result;
    }

    private TensorValue Output(Plan plan, int producer, int output, TensorValue[]?[] values, TensorValue[] feeds, NodeDef? consumer)
    {
        if (producer < 0)
        {
            return feeds[-1 - producer];
        }

        var outs = values[producer] ?? throw new InvalidOperationException("internal error: a released tensor was read");
        if (output >= outs.Length)
        {
            var p = _nodes[plan.Steps[producer].Node];
            throw new GraphExecutionException(ErrorIds.InvalidOutputIndex,
                $"Output {output} of node '{p.Name}' ({p.Op}) was requested{(consumer is null ? string.Empty : $" by node '{consumer.Name}'")}, but it has only {outs.Length} output(s).",
                consumer?.Name ?? p.Name, consumer?.Op ?? p.Op);
        }

        return outs[output];
    }

    private sealed class ReferenceComparer : IEqualityComparer<Array>
    {
        public static readonly ReferenceComparer Instance = new();

        public bool Equals(Array? x, Array? y) => ReferenceEquals(x, y);

        public int GetHashCode(Array obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
    }

    private static Exception Wrap(Exception ex, NodeDef node) => ex switch
    {
        DeepMdException or OperationCanceledException => ex,
        _ => new GraphExecutionException(ErrorIds.OpFailed, $"{node.Op} node '{node.Name}' failed: {ex.Message}", node.Name, node.Op, DeepMdErrorKind.InvalidData, ex),
    };
}
