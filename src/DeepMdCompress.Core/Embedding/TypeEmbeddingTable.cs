using System;
using System.Collections.Generic;

namespace DeepMdCompress.Core.Embedding;

/// <summary>
/// The precomputed strip-mode type net of se_atten/se_atten_v2/se_a_ebd_v2 (docs/descriptors.md, "strip mode"): the net
/// evaluated once for every neighbour type (one side, row b) or every (centre a, neighbour b) pair (two side, row
/// a·(ntypes+1)+b on the input concat(embedding[b], embedding[a])), the padding type ntypes included. As deepmd-kit's
/// <c>make_data</c> computes it: layer 1 is φ(x·W + b), every deeper layer concat(y, y) + φ(y·W + b).
/// </summary>
public static class TypeEmbeddingTable
{
    /// <summary>
    /// Rows of the table for <paramref name="embedding"/> [types, width] (row-major, the padding type last) through the
    /// layers (weights [in, out] row-major, biases [out]).
    /// </summary>
    public static double[] Compute(double[] embedding, int types, int width, bool twoSide, IReadOnlyList<(double[] W, double[] B, int In, int Out)> layers,
        EmbeddingActivation activation, out int lastWidth)
    {
        if (embedding.Length != types * width)
        {
            throw new ArgumentException($"the type embedding has {embedding.Length} values, not {types}×{width}", nameof(embedding));
        }

        int rows = twoSide ? types * types : types;
        int inWidth = twoSide ? 2 * width : width;
        var x = new double[rows * inWidth];
        for (int r = 0; r < rows; r++)
        {
            int centre = twoSide ? r / types : 0, neighbour = twoSide ? r % types : r;
            Array.Copy(embedding, neighbour * width, x, r * inWidth, width);
            if (twoSide)
            {
                Array.Copy(embedding, centre * width, x, r * inWidth + width, width);
            }
        }

        int dIn = inWidth;
        for (int l = 0; l < layers.Count; l++)
        {
            var (w, b, nIn, nOut) = layers[l];
            if (nIn != dIn || w.Length != nIn * nOut || b.Length != nOut)
            {
                throw new ArgumentException($"layer {l + 1} is [{nIn}, {nOut}] with {b.Length} biases but receives {dIn} values", nameof(layers));
            }

            if (l > 0 && nOut != 2 * nIn)
            {
                throw new ArgumentException($"layer {l + 1} ({nIn}→{nOut}) does not double its width, which deepmd-kit's precomputation assumes", nameof(layers));
            }

            var y = new double[rows * nOut];
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < nOut; j++)
                {
                    double z = b[j];
                    for (int i = 0; i < nIn; i++)
                    {
                        z += x[r * nIn + i] * w[i * nOut + j];
                    }

                    double phi = Activations.Value(activation, z);
                    y[r * nOut + j] = l == 0 ? phi : x[r * nIn + j % nIn] + phi;
                }
            }

            x = y;
            dIn = nOut;
        }

        lastWidth = dIn;
        return x;
    }
}
