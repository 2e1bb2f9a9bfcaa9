using System;
using System.Collections.Generic;
using System.Linq;
using DeepMdCompress.Core.Evaluation.Ops;
using DeepMdCompress.Core.Graph;

using DeepMdCompress.Core.Evaluation.Kernels;

namespace DeepMdCompress.Core.Evaluation;

/// <summary>
/// Computes the outputs of one graph node from its data inputs (control inputs excluded, in input order).
/// A kernel must never modify its inputs: tensors are shared between nodes (Reshape and Identity alias them)
/// and constants are cached across runs.
/// </summary>
public delegate TensorValue[] OpKernel(OpContext context, TensorValue[] inputs);

/// <summary>
/// The op types the interpreter can execute: a dictionary from op type (<c>NodeDef.op</c>) to its kernel.
/// Adding an op is one <see cref="Register"/> call. An op type that is not registered is an error naming the
/// op and the node when a graph needs it (never a silent zero).
/// </summary>
public sealed class OpRegistry
{
    private readonly Dictionary<string, OpKernel> _kernels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> _shapeOnly = new(StringComparer.Ordinal);

    /// <summary>
    /// A registry with every standard TensorFlow op and deepmd-kit op the evaluator implements. Inputs beyond a
    /// compressed model's tables follow <paramref name="extrapolation"/>: released deepmd-kit clamps (default),
    /// deepmd-kit's development branch extrapolates linearly (C¹).
    /// </summary>
    public static OpRegistry CreateDefault(ExtrapolationMode extrapolation = ExtrapolationMode.Clamp)
    {
        var registry = new OpRegistry();
        StandardOps.Register(registry);
        DeepmdOps.Register(registry);
        TabulationOps.Register(registry, extrapolation);
        return registry;
    }

    /// <summary>Adds or replaces the kernel of <paramref name="opType"/>.</summary>
    public void Register(string opType, OpKernel kernel)
    {
        if (string.IsNullOrEmpty(opType))
        {
            throw new ArgumentException("An op type is required.", nameof(opType));
        }

        _kernels[opType] = kernel ?? throw new ArgumentNullException(nameof(kernel));
        _shapeOnly.Remove(opType); // a new kernel may read what the old one did not
    }

    /// <summary>
    /// Declares that the kernel of <paramref name="opType"/> reads only the shape and dtype of the listed data inputs
    /// (every input when none are listed), never their elements, so the interpreter may release or reuse their
    /// buffers before the op runs. Registering a new kernel for the op clears the declaration.
    /// </summary>
    public void ReadsShapeOnly(string opType, params int[] inputs)
    {
        if (!_kernels.ContainsKey(opType))
        {
            throw new ArgumentException($"Op type '{opType}' is not registered.", nameof(opType));
        }

        _shapeOnly[opType] = inputs ?? Array.Empty<int>();
    }

    /// <summary>Whether the kernel of <paramref name="opType"/> reads only the shape of data input <paramref name="input"/>.</summary>
    public bool ReadsOnlyShape(string opType, int input) =>
        _shapeOnly.TryGetValue(opType, out var inputs) && (inputs.Length == 0 || Array.IndexOf(inputs, input) >= 0);

    /// <summary>Registers the same kernel under several names (deepmd-kit's legacy aliases).</summary>
    public void Register(OpKernel kernel, params string[] opTypes)
    {
        foreach (string op in opTypes)
        {
            Register(op, kernel);
        }
    }

    public bool Contains(string opType) => _kernels.ContainsKey(opType);

    public bool TryGet(string opType, out OpKernel kernel) => _kernels.TryGetValue(opType, out kernel!);

    /// <summary>Every registered op type, sorted.</summary>
    public IReadOnlyList<string> OpTypes => _kernels.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
}
