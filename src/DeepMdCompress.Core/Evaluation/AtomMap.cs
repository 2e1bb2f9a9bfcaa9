using System;

namespace DeepMdCompress.Core.Evaluation;

/// <summary>
/// deepmd-kit's AtomMap (docs/evaluator.md#input-preparation): a stable sort of the atoms by type. The graph sees atoms in
/// sorted order; results are mapped back to the caller's order.
/// </summary>
public sealed class AtomMap
{
    public AtomMap(int[] types)
    {
        if (types is null)
        {
            throw new ArgumentNullException(nameof(types));
        }

        int n = types.Length;
        var order = new int[n];
        var keys = new long[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
            keys[i] = ((long)types[i] << 32) | (uint)i; // (type, index): a total order, so the sort is stable
        }

        Array.Sort(keys, order);
        SortedToInput = order;
        InputToSorted = new int[n];
        SortedTypes = new int[n];
        for (int k = 0; k < n; k++)
        {
            InputToSorted[order[k]] = k;
            SortedTypes[k] = types[order[k]];
        }
    }

    public int Count => SortedToInput.Length;

    /// <summary>idx_map: input index of the atom at sorted position k.</summary>
    public int[] SortedToInput { get; }

    /// <summary>fwd_idx_map: sorted position of input atom i.</summary>
    public int[] InputToSorted { get; }

    public int[] SortedTypes { get; }

    /// <summary>out[k·stride + c] = in[idx_map[k]·stride + c]: input order → graph order.</summary>
    public void Forward<T>(ReadOnlySpan<T> input, Span<T> output, int stride)
    {
        for (int k = 0; k < SortedToInput.Length; k++)
        {
            input.Slice(SortedToInput[k] * stride, stride).CopyTo(output.Slice(k * stride, stride));
        }
    }

    /// <summary>out[idx_map[k]·stride + c] = in[k·stride + c]: graph order → input order.</summary>
    public void Backward<T>(ReadOnlySpan<T> input, Span<T> output, int stride)
    {
        for (int k = 0; k < SortedToInput.Length; k++)
        {
            input.Slice(k * stride, stride).CopyTo(output.Slice(SortedToInput[k] * stride, stride));
        }
    }
}
