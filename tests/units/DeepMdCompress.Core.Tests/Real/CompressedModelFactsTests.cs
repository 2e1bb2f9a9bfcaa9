using DeepMdCompress.Core.Model;
using Xunit;

namespace DeepMdCompress.Core.Tests.Real;

/// <summary>
/// A compressed graph has no embedding nets left, yet describes itself: the descriptor settings come from the training
/// script it carries, and equal what the original's nets say.
/// </summary>
public sealed class CompressedModelFactsTests
{
    [SkippableTheory]
    [MemberData(nameof(RealCorpus.ModelsWithDpGraph), MemberType = typeof(RealCorpus))]
    public void Dp_compressed_graph_shows_the_originals_descriptor_settings(string folder)
    {
        var corpus = RealCorpus.Load(folder);
        var original = FrozenModelReader.Load(corpus.OriginalPb);
        var compressed = FrozenModelReader.Load(corpus.DpGraphPb);
        Assert.True(compressed.IsCompressed);
        Assert.NotNull(compressed.EmbeddingNeuron);
        Assert.Equal(original.EmbeddingNeuron, compressed.EmbeddingNeuron);
        Assert.Equal(original.Activation, compressed.Activation);
        Assert.Equal(original.Precision, compressed.Precision);
        Assert.Equal(original.DescriptorType, compressed.DescriptorType);
        if (original.TypeOneSide is not null)
        {
            Assert.Equal(original.TypeOneSide, compressed.TypeOneSide);
        }
    }
}
