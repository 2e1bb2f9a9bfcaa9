using System;
using System.Globalization;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using DeepMdCompress.Core.Errors;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Evaluation;

/// <summary>
/// What a kernel knows about the node it executes: attributes (with TensorFlow's defaults supplied by the
/// caller, docs/evaluator.md#how-a-graph-runs), error construction naming the node, cancellation and the parallelism budget.
/// </summary>
public sealed class OpContext
{
    internal OpContext(NodeDef node, CancellationToken cancellationToken, int maxDegreeOfParallelism)
    {
        Node = node;
        CancellationToken = cancellationToken;
        MaxDegreeOfParallelism = Math.Max(1, maxDegreeOfParallelism);
    }

    public NodeDef Node { get; }

    public string Name => Node.Name;

    public string OpType => Node.Op;

    public CancellationToken CancellationToken { get; }

    /// <summary>Threads a kernel may use; 1 means serial.</summary>
    public int MaxDegreeOfParallelism { get; }

    /// <summary>Per input: whether this node is the last user of the input's buffer, so the kernel may overwrite it.</summary>
    internal bool[]? Donatable { get; set; }

    /// <summary>
    /// True when the kernel may write its result into input <paramref name="index"/>'s buffer: no other node
    /// will read it, it is neither a constant nor a feed. Elementwise kernels use this to avoid allocating.
    /// </summary>
    public bool CanOverwrite(int index) => Donatable is { } d && index < d.Length && d[index];

    /// <summary>Per input: whether it is the same constant every run (set by the interpreter).</summary>
    internal bool[]? ConstantInputs { get; set; }

    /// <summary>Whether input <paramref name="index"/> holds the same constant tensor in every run of the graph.</summary>
    public bool IsConstant(int index) => ConstantInputs is { } c && index < c.Length && c[index];

    internal BufferPool? Pool { get; set; }

    /// <summary>
    /// A new buffer for an output, possibly recycled from a tensor no longer needed in this run.
    /// Pass <paramref name="zeroed"/> false only when the kernel writes every element.
    /// </summary>
    public T[] NewArray<T>(int length, bool zeroed = true) => Pool is { } p ? p.Rent<T>(length, zeroed) : new T[length];

    /// <summary>
    /// Hands a kernel's scratch buffer (from <see cref="NewArray{T}"/>, not part of any output) back for later nodes
    /// and runs: a kernel's large working arrays would otherwise land on the large-object heap every frame.
    /// </summary>
    public void ReturnScratch(Array buffer) => Pool?.Return(buffer);

    /// <summary>A (possibly recycled) buffer of the element type of <paramref name="dtype"/>.</summary>
    public Array NewArray(DataType dtype, int length, bool zeroed = true) => dtype switch
    {
        DataType.DtDouble => NewArray<double>(length, zeroed),
        DataType.DtFloat => NewArray<float>(length, zeroed),
        DataType.DtInt32 => NewArray<int>(length, zeroed),
        DataType.DtInt64 => NewArray<long>(length, zeroed),
        DataType.DtBool => NewArray<bool>(length, zeroed),
        _ => Shapes.Allocate(dtype, length),
    };

    /// <summary>A context for another node's kernel run as part of this step (same cancellation, threads and buffers).</summary>
    internal OpContext ForNode(NodeDef node) => new(node, CancellationToken, MaxDegreeOfParallelism) { Pool = Pool };

    public bool HasAttr(string name) => Node.Attr.ContainsKey(name);

    public bool Bool(string name, bool defaultValue) =>
        Node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.B ? v.B : defaultValue;

    public long Int(string name, long defaultValue) =>
        Node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.I ? v.I : defaultValue;

    public long Int(string name) =>
        Node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.I ? v.I : throw MissingAttr(name, "int");

    public float Float(string name, float defaultValue) =>
        Node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.F ? v.F : defaultValue;

    public float Float(string name) =>
        Node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.F ? v.F : throw MissingAttr(name, "float");

    public DataType Type(string name, DataType defaultValue) =>
        Node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.Type ? v.Type : defaultValue;

    public DataType Type(string name) =>
        Node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.Type ? v.Type : throw MissingAttr(name, "type");

    public string String(string name, string defaultValue) =>
        Node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.S ? v.S.ToStringUtf8() : defaultValue;

    /// <summary>A list(int) attr; an absent attr or an empty list gives an empty array.</summary>
    public int[] Ints(string name) =>
        Node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.List
            ? v.List.I.Select(x => checked((int)x)).ToArray()
            : Array.Empty<int>();

    /// <summary>The tensor of a <c>value</c>-style attr (Const).</summary>
    public TensorValue Tensor(string name) =>
        Node.Attr.TryGetValue(name, out var v) && v.ValueCase == AttrValue.ValueOneofCase.Tensor
            ? TensorDecoder.Decode(v.Tensor, $"node '{Name}'")
            : throw MissingAttr(name, "tensor");

    /// <summary>An error that TensorFlow would raise while running this node (bad shapes, indices, dtypes).</summary>
    public GraphExecutionException Error(string message, string errorId = ErrorIds.InvalidOpInput) =>
        new(errorId, $"{OpType} node '{Name}': {message}", Name, OpType);

    public void RequireInputs(TensorValue[] inputs, int count)
    {
        if (inputs.Length != count)
        {
            throw Error($"expects {count} inputs but has {inputs.Length}.");
        }
    }

    public void RequireMinInputs(TensorValue[] inputs, int count)
    {
        if (inputs.Length < count)
        {
            throw Error($"expects at least {count} inputs but has {inputs.Length}.");
        }
    }

    /// <summary>The dtype the node declares in attr <paramref name="attr"/> must match the input's dtype.</summary>
    public void RequireType(TensorValue value, DataType expected, string what)
    {
        if (value.DType != expected)
        {
            throw Error($"{what} has dtype {TensorDecoder.Name(value.DType)}, expected {TensorDecoder.Name(expected)}.");
        }
    }

    public void RequireRank(TensorValue value, int rank, string what)
    {
        if (value.Rank != rank)
        {
            throw Error($"{what} must have rank {rank} but has shape {Shapes.Format(value.Shape)}.");
        }
    }

    /// <summary>The elements of an integer (int32/int64) tensor as ints; anything else is an error.</summary>
    public int[] IntValues(TensorValue value, string what)
    {
        return value.Data switch
        {
            int[] i => i,
            long[] l => Array.ConvertAll(l, x => x is >= int.MinValue and <= int.MaxValue ? (int)x : throw Error($"{what} value {x} is out of range.")),
            _ => throw Error($"{what} must be int32 or int64 but is {TensorDecoder.Name(value.DType)}."),
        };
    }

    /// <summary>The single element of an integer scalar (or one-element tensor).</summary>
    public int IntScalar(TensorValue value, string what)
    {
        var v = IntValues(value, what);
        if (v.Length != 1)
        {
            throw Error($"{what} must be a scalar but has shape {Shapes.Format(value.Shape)}.");
        }

        return v[0];
    }

    /// <summary>
    /// Runs <paramref name="body"/> over [0, count) in contiguous chunks, in parallel when the work is large
    /// enough. Each chunk must write disjoint outputs, so the result does not depend on the thread count.
    /// </summary>
    public void For(int count, long workPerItem, Action<int, int> body)
    {
        if (count <= 0)
        {
            return;
        }

        const long MinWorkPerChunk = 32_768;
        int threads = MaxDegreeOfParallelism;
        long total = count * Math.Max(1, workPerItem);
        if (threads <= 1 || count == 1 || total < 2 * MinWorkPerChunk)
        {
            body(0, count);
            return;
        }

        int chunks = (int)Math.Min(Math.Min(count, threads * 4L), Math.Max(2, total / MinWorkPerChunk));
        ParallelFor(chunks, threads, CancellationToken, c =>
        {
            int start = (int)((long)count * c / chunks);
            int end = (int)((long)count * (c + 1) / chunks);
            if (end > start)
            {
                body(start, end);
            }
        });
    }

    /// <summary>
    /// body(0 … count − 1) on at most <paramref name="threads"/> threads, rethrowing the first failure itself: several
    /// parts may fail on the same bad input, and the caller sees the error a serial run would give. The parts run on
    /// the <see cref="WorkerTeam"/>, or through Parallel.For when the team is busy (another caller, a nested loop).
    /// </summary>
    internal static void ParallelFor(int count, int threads, CancellationToken cancellationToken, Action<int> body)
    {
        if (threads > 1 && count > 1 && WorkerTeam.Shared.TryFor(count, threads, cancellationToken, body))
        {
            return;
        }

        var options = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken };
        try
        {
            Parallel.For(0, count, options, body);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
        }
    }

    private GraphExecutionException MissingAttr(string name, string kind) =>
        Error($"required {kind} attribute '{name}' is missing.", ErrorIds.MissingAttribute);

    public override string ToString() => string.Format(CultureInfo.InvariantCulture, "{0} '{1}'", OpType, Name);
}
