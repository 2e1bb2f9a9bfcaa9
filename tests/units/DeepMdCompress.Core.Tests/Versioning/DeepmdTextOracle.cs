using System.Text;
using System.Text.RegularExpressions;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using Xunit;

namespace DeepMdCompress.Core.Tests.Versioning;

/// <summary>
/// deepmd-kit's own way, written in the tests from deepmd-kit's rules (docs/versions.md#detection, docs/versions.md#legacy-conversion): substring rules and text edits on a
/// protobuf text dump as TensorFlow's write_graph lays it out (2-space indentation, attrs sorted by key). It is the
/// oracle the structural detector and converter are compared with; it shares no code with them.
/// </summary>
internal static class DeepmdTextOracle
{
    /// <summary>The text deepmd-kit would search: the file itself for a .pbtxt written by TensorFlow, else a dump.</summary>
    public static string Dump(string path, GraphDef graph) =>
        path.EndsWith(".pbtxt", StringComparison.Ordinal) ? File.ReadAllText(path) : Encoding.UTF8.GetString(GraphFile.Serialize(graph, GraphFormat.Text));

    public static GraphDef Parse(string text) => GraphFile.ParseText(Encoding.UTF8.GetBytes(text));

    /// <summary>docs/versions.md#detection, first matching rule wins.</summary>
    public static string? Detect(string text)
    {
        if (text.Contains("DescrptNorot"))
        {
            return "0.12";
        }

        if (text.Contains("fitting_attr/dfparam") && !text.Contains("fitting_attr/daparam"))
        {
            return "1.0";
        }

        if (!text.Contains("model_attr/model_version"))
        {
            // Python slicing: find() = -1 gives text[-1:] and piece[:-1].
            int at = text.IndexOf("name: \"DescrptSeA\"", StringComparison.Ordinal);
            string post = at >= 0 ? text[at..] : text[^1..];
            int brace = post[..Math.Min(300, post.Length)].IndexOf('}');
            string piece = brace >= 0 ? post[..brace] : post[..^1];
            return piece.Contains("DT_DOUBLE") ? "1.3" : "1.2";
        }

        if (text.Contains("string_val: \"1.0\""))
        {
            return "2.0";
        }

        return text.Contains("string_val: \"1.1\"") ? "2.1" : null;
    }

    /// <summary>docs/versions.md#legacy-conversion: every step whose bound lies above <paramref name="version"/>, in order.</summary>
    public static string Convert(string text, string version)
    {
        var v = Version.Parse(version);
        if (v < new Version(1, 0))
        {
            text = text.Replace("DescrptNorot", "DescrptSeA").Replace("ProdForceNorot", "ProdForceSeA").Replace("ProdVirialNorot", "ProdVirialSeA")
                .Replace("t_rcut", "descrpt_attr/rcut").Replace("t_ntypes", "descrpt_attr/ntypes")
                .Replace("atom_energy_test", "o_atom_energy").Replace("atom_virial_test", "o_atom_virial")
                .Replace("energy_test", "o_energy").Replace("force_test", "o_force").Replace("virial_test", "o_virial");
            text += ConstBlock("fitting_attr/dfparam", "DT_INT32", "int_val: 0");
            text += ConstBlock("model_attr/model_type", "DT_STRING", "string_val: \"ener\"");
            text += ConstBlock("model_attr/tmap", "DT_STRING", "string_val: \"\"");
        }

        if (v < new Version(1, 1))
        {
            text += ConstBlock("fitting_attr/daparam", "DT_INT32", "int_val: 0");
        }

        if (v < new Version(1, 3))
        {
            text = InsertT(text);
        }

        if (v < new Version(2, 0))
        {
            text += ConstBlock("model_attr/model_version", "DT_STRING", "string_val: \"1.0\"");
            text = text.Replace("DescrptSeA", "ProdEnvMatA").Replace("DescrptSeR", "ProdEnvMatR");
        }

        if (v < new Version(2, 1))
        {
            text = text.Replace(ConstBlock("model_attr/model_version", "DT_STRING", "string_val: \"1.0\""),
                ConstBlock("model_attr/model_version", "DT_STRING", "string_val: \"1.1\""));
            text = text.Replace("TabulateFusion", "TabulateFusionSeA");
        }

        return text;
    }

    public static string ConstBlock(string name, string dtype, string value) =>
        $"node {{\n  name: \"{name}\"\n  op: \"Const\"\n  attr {{\n    key: \"dtype\"\n    value {{\n      type: {dtype}\n    }}\n  }}\n"
        + $"  attr {{\n    key: \"value\"\n    value {{\n      tensor {{\n        dtype: {dtype}\n        tensor_shape {{\n        }}\n        {value}\n      }}\n    }}\n  }}\n}}\n";

    /// <summary>1.2 → 1.3: after each name line naming a SeA op node, a T attr before the next attr line.</summary>
    private static string InsertT(string text)
    {
        var lines = text.Split('\n');
        var sb = new StringBuilder();
        for (int i = 0; i < lines.Length; i++)
        {
            sb.Append(lines[i]);
            if (i < lines.Length - 1)
            {
                sb.Append('\n');
            }

            string line = lines[i];
            if (line.Contains("name") && (line.Contains("DescrptSeA") || line.Contains("ProdForceSeA") || line.Contains("ProdVirialSeA")))
            {
                while (!(lines[i + 1].Contains("attr") && lines[i + 1].Contains('{')))
                {
                    sb.Append(lines[++i]).Append('\n');
                }

                sb.Append("  attr {\n    key: \"T\"\n    value {\n      type: DT_DOUBLE\n    }\n  }\n");
            }
        }

        return sb.ToString();
    }

    /// <summary>Removes the top-level node block named <paramref name="name"/> from a dump.</summary>
    public static string RemoveNode(string text, string name)
    {
        var block = new Regex("^node \\{\\n  name: \"" + Regex.Escape(name) + "\"\\n(?:.*\\n)*?\\}\\n", RegexOptions.Multiline);
        Assert.Matches(block, text);
        return block.Replace(text, string.Empty, 1);
    }

    /// <summary>Removes the attr T of the node block named <paramref name="name"/>.</summary>
    public static string RemoveT(string text, string name)
    {
        int at = text.IndexOf($"node {{\n  name: \"{name}\"\n", StringComparison.Ordinal);
        Assert.True(at >= 0, $"no node {name}");
        const string t = "  attr {\n    key: \"T\"\n    value {\n      type: DT_DOUBLE\n    }\n  }\n";
        int tAt = text.IndexOf(t, at, StringComparison.Ordinal);
        int end = text.IndexOf("\n}\n", at, StringComparison.Ordinal);
        Assert.True(tAt >= 0 && tAt < end, $"node {name} has no T: DT_DOUBLE attr");
        return text.Remove(tAt, t.Length);
    }

    /// <summary>
    /// deeppot.pbtxt (2.1) taken back to an older layout by undoing the later steps on its text:
    /// 1.3 = no model_attr/model_version, ProdEnvMatA named DescrptSeA again; 1.2 = also no T on the SeA op nodes;
    /// 1.0 = also no fitting_attr/daparam; 0.12 = also no dfparam/model_type/tmap and the pre-1.0 names.
    /// </summary>
    public static string LegacyDeeppot(string version)
    {
        string text = File.ReadAllText(TestData.Model("deeppot.pbtxt"));
        text = RemoveNode(text, "model_attr/model_version").Replace("ProdEnvMatA", "DescrptSeA");
        if (version == "1.3")
        {
            return text;
        }

        foreach (string node in new[] { "DescrptSeA", "ProdForceSeA", "ProdVirialSeA" })
        {
            text = RemoveT(text, node);
        }

        if (version == "1.2")
        {
            return text;
        }

        text = RemoveNode(text, "fitting_attr/daparam");
        if (version == "1.0")
        {
            return text;
        }

        Assert.Equal("0.12", version);
        foreach (string node in new[] { "fitting_attr/dfparam", "model_attr/model_type", "model_attr/tmap" })
        {
            text = RemoveNode(text, node);
        }

        // Inverse order of the 0.12 renames, so o_atom_* are taken back before o_*.
        return text.Replace("DescrptSeA", "DescrptNorot").Replace("ProdForceSeA", "ProdForceNorot").Replace("ProdVirialSeA", "ProdVirialNorot")
            .Replace("descrpt_attr/rcut", "t_rcut").Replace("descrpt_attr/ntypes", "t_ntypes")
            .Replace("o_atom_energy", "atom_energy_test").Replace("o_atom_virial", "atom_virial_test")
            .Replace("o_energy", "energy_test").Replace("o_force", "force_test").Replace("o_virial", "virial_test");
    }
}
