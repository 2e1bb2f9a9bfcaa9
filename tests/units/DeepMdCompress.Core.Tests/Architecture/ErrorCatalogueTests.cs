using System.Reflection;
using System.Text.RegularExpressions;
using DeepMdCompress.Core.Errors;
using Xunit;

namespace DeepMdCompress.Core.Tests.Architecture;

/// <summary>
/// One catalogue of error ids (Errors/ErrorIds.cs), used by every stage and listed in help
/// (en-US/about_DeepMdCompress_Errors.md): the three stay in step.
/// </summary>
public class ErrorCatalogueTests
{
    private static readonly string Src = Path.Combine(TestData.RepoRoot, "src");
    private static readonly string Help = Path.Combine(TestData.RepoRoot, "en-US");

    // String literals that equal an id but are not one (a cmdlet noun).
    private static readonly (string File, string Literal)[] NotIds = { ("ConvertLegacyModelCommand.cs", "LegacyModel") };

    private static readonly Regex PascalId = new(@"^[A-Z][A-Za-z0-9]*[a-z0-9][A-Z][A-Za-z0-9]*$|^IOError$", RegexOptions.Compiled);

    private static IReadOnlyList<string> CatalogueIds() =>
        typeof(ErrorIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();

    private static IEnumerable<(string Path, string Text)> Sources() =>
        Directory.EnumerateFiles(Src, "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(p => (p, File.ReadAllText(p)));

    [Fact]
    public void Every_id_is_its_own_name_and_unique()
    {
        var fields = typeof(ErrorIds).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToList();
        Assert.True(fields.Count > 100, $"only {fields.Count} ids");
        Assert.All(fields, f => Assert.Equal(f.Name, (string)f.GetRawConstantValue()!));
        Assert.Equal(fields.Count, CatalogueIds().Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Help_lists_exactly_the_catalogue()
    {
        string text = File.ReadAllText(Path.Combine(Help, "about_DeepMdCompress_Errors.md"));
        var listed = Regex.Matches(text, @"^- ([A-Za-z0-9]+)\s*$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(listed.Count, listed.Distinct(StringComparer.Ordinal).Count());
        var ids = CatalogueIds();
        Assert.Empty(ids.Except(listed, StringComparer.Ordinal));
        Assert.Empty(listed.Except(ids, StringComparer.Ordinal));
    }

    [Fact]
    public void Code_names_ids_only_through_the_catalogue()
    {
        var ids = new HashSet<string>(CatalogueIds(), StringComparer.Ordinal);
        var literal = new Regex("(?<![\\w$@])\"([A-Z][A-Za-z0-9]+)\"");
        var offenders = new List<string>();
        foreach (var (path, text) in Sources())
        {
            if (path.EndsWith(Path.Combine("Errors", "ErrorIds.cs"), StringComparison.Ordinal))
            {
                continue;
            }

            foreach (Match m in literal.Matches(text))
            {
                string id = m.Groups[1].Value;
                if (ids.Contains(id) && !NotIds.Contains((Path.GetFileName(path), id)))
                {
                    offenders.Add($"{Path.GetRelativePath(Src, path)}: \"{id}\"");
                }
            }
        }

        Assert.True(offenders.Count == 0, "ids written as literals: " + string.Join("; ", offenders));
    }

    [Fact]
    public void Every_error_raised_takes_its_id_from_the_catalogue()
    {
        // A new id written as a literal at a throw site (not yet in the catalogue) fails here.
        var site = new Regex(@"new\s+(?:\w+Exception|ErrorRecord)\s*\((?<args>[^;]*?)\)\s*[;{)]", RegexOptions.Singleline);
        var offenders = new List<string>();
        foreach (var (path, text) in Sources())
        {
            foreach (Match m in site.Matches(text))
            {
                foreach (Match lit in Regex.Matches(m.Groups["args"].Value, "(?<![\\w$@])\"([A-Za-z0-9]+)\""))
                {
                    if (PascalId.IsMatch(lit.Groups[1].Value))
                    {
                        offenders.Add($"{Path.GetRelativePath(Src, path)}: \"{lit.Groups[1].Value}\"");
                    }
                }
            }
        }

        Assert.True(offenders.Count == 0, "error ids outside the catalogue: " + string.Join("; ", offenders));
    }

    [Fact]
    public void Cmdlet_help_names_only_catalogued_ids()
    {
        var ids = new HashSet<string>(CatalogueIds(), StringComparer.Ordinal);
        var words = new HashSet<string>(StringComparer.Ordinal) { "TensorFlow", "PowerShell", "DeePMD", "DeepMdCompress" };
        var offenders = new List<string>();
        foreach (string file in Directory.EnumerateFiles(Help, "*.md"))
        {
            foreach (string paragraph in Regex.Split(File.ReadAllText(file), @"\n\s*\n"))
            {
                if (!paragraph.Contains("rror id", StringComparison.Ordinal))
                {
                    continue;
                }

                foreach (Match m in Regex.Matches(paragraph, @"(?<![-\w.])([A-Z][a-z]+(?:[A-Z][a-z0-9]*)+)\b"))
                {
                    if (!ids.Contains(m.Value) && !words.Contains(m.Value))
                    {
                        offenders.Add($"{Path.GetFileName(file)}: {m.Value}");
                    }
                }
            }
        }

        Assert.True(offenders.Count == 0, "help names ids the code does not have: " + string.Join("; ", offenders));
    }
}
