using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace DeepMdCompress.Core.Tests.Architecture;

/// <summary>One build configuration (docs/architecture.md): package versions once, the version once, warnings as errors.</summary>
public class BuildConfigurationTests
{
    private static IEnumerable<string> Projects() =>
        new[] { "src", "tests", "bench", "fuzz" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(TestData.RepoRoot, d), "*.csproj", SearchOption.AllDirectories))
            .Where(p => !p.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal));

    [Fact]
    public void Every_package_version_is_set_once_centrally()
    {
        var central = XDocument.Load(Path.Combine(TestData.RepoRoot, "Directory.Packages.props"))
            .Descendants("PackageVersion").Select(e => (string)e.Attribute("Include")!).ToList();
        Assert.Equal(central.Count, central.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        var projects = Projects().ToList();
        Assert.NotEmpty(projects);
        foreach (string project in projects.Append(Path.Combine(TestData.RepoRoot, "src", "Directory.Build.props")))
        {
            foreach (var reference in XDocument.Load(project).Descendants("PackageReference"))
            {
                string name = (string)reference.Attribute("Include")!;
                Assert.True(reference.Attribute("Version") is null, $"{project}: {name} sets its own version");
                Assert.Contains(name, central);
            }
        }
    }

    [Fact]
    public void The_assembly_version_is_the_module_manifests()
    {
        string manifest = File.ReadAllText(Path.Combine(TestData.RepoRoot, "DeepMdCompress.psd1"));
        string moduleVersion = Regex.Match(manifest, @"ModuleVersion\s*=\s*'([0-9.]+)'").Groups[1].Value;
        Assert.NotEmpty(moduleVersion);
        var version = typeof(FrozenModel).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.StartsWith(moduleVersion, version, StringComparison.Ordinal);
    }

    [Fact]
    public void Warnings_are_errors_everywhere()
    {
        var props = XDocument.Load(Path.Combine(TestData.RepoRoot, "Directory.Build.props"));
        Assert.Equal("true", props.Descendants("TreatWarningsAsErrors").Single().Value);
        foreach (string project in Projects())
        {
            Assert.Empty(XDocument.Load(project).Descendants("TreatWarningsAsErrors"));
        }
    }
}
