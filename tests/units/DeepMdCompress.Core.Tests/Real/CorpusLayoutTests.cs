using Xunit;

namespace DeepMdCompress.Core.Tests.Real;

/// <summary>The corpus is what its README says: every folder has its files, and every accepted model has dp's digest.</summary>
public sealed class CorpusLayoutTests
{
    [SkippableTheory]
    [MemberData(nameof(RealCorpus.Models), MemberType = typeof(RealCorpus))]
    public void Folder_has_what_the_readme_lists(string folder)
    {
        var model = RealCorpus.Load(folder);
        Assert.NotEmpty(model.CaseNames);
        foreach (string c in model.CaseNames)
        {
            var frame = RealCorpus.Case(c);
            Assert.Equal(3 * frame.AtomTypes.Length, frame.Coordinates.Length);
            Assert.True(model.HasExpected(c, "original"));
            Assert.Equal(model.Accepted, model.HasExpected(c, "dp_compressed"));
        }

        if (model.Accepted)
        {
            var digest = new DpDigest(model.DigestJson);
            Assert.NotEmpty(digest.TabulateNodes);
            foreach (var tab in digest.TabulateNodes)
            {
                var table = digest.TableOf(tab);
                Assert.Equal(tab.Name, table.TableFor);
                Assert.Equal(6, digest.TableInfoOf(tab).Length);
                Assert.NotEmpty(table.SampledRows);
            }
        }
        else
        {
            Assert.NotEmpty(model.Refusal);
        }
    }
}
