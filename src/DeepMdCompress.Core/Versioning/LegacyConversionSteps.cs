using System;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using Google.Protobuf;

namespace DeepMdCompress.Core.Versioning;

/// <summary>
/// The five steps of deepmd-kit's <c>convert_to_21</c> (docs/versions.md#legacy-conversion) as edits on a GraphDef that the caller
/// owns (a copy). Each returns a one-line account of what it changed.
/// </summary>
internal static class LegacyConversionSteps
{
    // atom_* before the plain names, or atom_energy_test would become atom_o_energy.
    private static readonly Func<string, string> Rename012 = GraphStrings.Replacements(
        ("DescrptNorot", "DescrptSeA"),
        ("ProdForceNorot", "ProdForceSeA"),
        ("ProdVirialNorot", "ProdVirialSeA"),
        ("t_rcut", "descrpt_attr/rcut"),
        ("t_ntypes", "descrpt_attr/ntypes"),
        ("atom_energy_test", "o_atom_energy"),
        ("atom_virial_test", "o_atom_virial"),
        ("energy_test", "o_energy"),
        ("force_test", "o_force"),
        ("virial_test", "o_virial"));

    private static readonly Func<string, string> Rename13 = GraphStrings.Replacements(
        ("DescrptSeA", "ProdEnvMatA"),
        ("DescrptSeR", "ProdEnvMatR"));

    // deepmd-kit replaces every "TabulateFusion"; an occurrence already followed by "Se" (TabulateFusionSeA,
    // …SeAtten, …SeT, …SeR: 2.1 names) would become "…SeASe…", so those are left alone.
    private static readonly Regex OldTabulateFusion = new("TabulateFusion(?!Se)", RegexOptions.CultureInvariant);

    private static readonly string[] NodesNeedingT = { "DescrptSeA", "ProdForceSeA", "ProdVirialSeA" };

    /// <summary>0.12 → 1.0: the renames, then fitting_attr/dfparam = 0, model_attr/model_type = "ener", model_attr/tmap = "".</summary>
    public static string From012To10(GraphDef graph, CancellationToken cancellationToken)
    {
        int renamed = CountChanged(graph, Rename012);
        GraphStrings.Rewrite(graph, Rename012, cancellationToken);
        AppendConst(graph, "fitting_attr/dfparam", TensorEncoder.ScalarInt32(0));
        AppendConst(graph, "model_attr/model_type", TensorEncoder.ScalarString("ener"));
        AppendConst(graph, "model_attr/tmap", TensorEncoder.ScalarString(string.Empty));
        return $"0.12 -> 1.0: renamed {renamed} nodes (DescrptNorot/ProdForceNorot/ProdVirialNorot -> *SeA, t_rcut/t_ntypes -> descrpt_attr/*, *_test -> o_*); "
            + "added fitting_attr/dfparam = 0, model_attr/model_type = \"ener\", model_attr/tmap = \"\"";
    }

    /// <summary>1.0 → 1.1: fitting_attr/daparam = 0.</summary>
    public static string From10To11(GraphDef graph)
    {
        AppendConst(graph, "fitting_attr/daparam", TensorEncoder.ScalarInt32(0));
        return "1.0 -> 1.1: added fitting_attr/daparam = 0";
    }

    /// <summary>
    /// 1.2 → 1.3: <c>T: DT_DOUBLE</c> on every node whose name contains DescrptSeA, ProdForceSeA or ProdVirialSeA
    /// (deepmd-kit matches the name lines of the dump). deepmd-kit inserts the attr even when T exists, and the
    /// parser then keeps the node's own T, which is what leaving an existing T alone gives.
    /// </summary>
    public static string From12To13(GraphDef graph)
    {
        int added = 0;
        foreach (var node in graph.Node)
        {
            if (NodesNeedingT.Any(n => node.Name.Contains(n)) && !node.Attr.ContainsKey("T"))
            {
                node.Attr["T"] = new AttrValue { Type = DataType.DtDouble };
                added++;
            }
        }

        return $"1.2 -> 1.3: added T = DT_DOUBLE to {added} node(s)";
    }

    /// <summary>1.3 → 2.0: model_attr/model_version = "1.0"; DescrptSeA → ProdEnvMatA, DescrptSeR → ProdEnvMatR everywhere.</summary>
    public static string From13To20(GraphDef graph, CancellationToken cancellationToken)
    {
        AppendConst(graph, ModelVersionDetector.VersionNode, TensorEncoder.ScalarString("1.0"));
        int renamed = CountChanged(graph, Rename13);
        GraphStrings.Rewrite(graph, Rename13, cancellationToken);
        return $"1.3 -> 2.0: added model_attr/model_version = \"1.0\"; renamed {renamed} node(s) (DescrptSeA -> ProdEnvMatA, DescrptSeR -> ProdEnvMatR)";
    }

    /// <summary>
    /// 2.0 → 2.1: model_attr/model_version "1.0" → "1.1"; TabulateFusion[Grad[Grad]] → TabulateFusionSeA[Grad[Grad]].
    /// deepmd-kit replaces the node's exact text block, i.e. a Const whose only string is "1.0"; other version
    /// nodes are left as they are, as there.
    /// </summary>
    public static string From20To21(GraphDef graph, CancellationToken cancellationToken)
    {
        string version = "model version unchanged";
        var node = graph.Node.FirstOrDefault(n => n.Name == ModelVersionDetector.VersionNode);
        if (node is { Op: "Const" } && node.Attr.TryGetValue("value", out var value) && value.Tensor is { Dtype: DataType.DtString } tensor
            && tensor.StringVal.Count == 1 && tensor.StringVal[0].ToStringUtf8() == "1.0")
        {
            tensor.StringVal[0] = ByteString.CopyFrom(Encoding.UTF8.GetBytes("1.1"));
            version = "model_attr/model_version \"1.0\" -> \"1.1\"";
        }

        Func<string, string> rename = s => s.IndexOf("TabulateFusion", StringComparison.Ordinal) < 0 ? s : OldTabulateFusion.Replace(s, "TabulateFusionSeA");
        int renamed = CountChanged(graph, rename);
        GraphStrings.Rewrite(graph, rename, cancellationToken);
        return $"2.0 -> 2.1: {version}; renamed {renamed} TabulateFusion node(s) to TabulateFusionSeA";
    }

    /// <summary>A Const as deepmd-kit appends it: exactly the attrs dtype and value, no inputs, no device.</summary>
    internal static void AppendConst(GraphDef graph, string name, TensorProto value)
    {
        if (graph.Node.Any(n => n.Name == name))
        {
            throw ModelVersionException.Conflict(
                $"The graph already has a node '{name}', which this conversion step adds; the graph is not of the version converted from.");
        }

        var node = new NodeDef { Name = name, Op = "Const" };
        node.Attr["dtype"] = new AttrValue { Type = value.Dtype };
        node.Attr["value"] = new AttrValue { Tensor = value };
        graph.Node.Add(node);
    }

    /// <summary>Nodes whose name or op a rename changes (for the account; the rewrite itself touches every string).</summary>
    private static int CountChanged(GraphDef graph, Func<string, string> rename) =>
        graph.Node.Count(n => rename(n.Name) != n.Name || rename(n.Op) != n.Op);
}
