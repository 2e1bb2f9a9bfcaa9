using System;
using System.Linq;
using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Model;
using DeepMdCompress.Core.Proto;

namespace DeepMdCompress.Core.Versioning;

/// <summary>
/// deepmd-kit's <c>detect_model_version</c> (docs/versions.md#detection), decided from the graph's structure instead of
/// substring searches in a text dump. The rules and their order are deepmd-kit's; first match wins.
/// </summary>
public static class ModelVersionDetector
{
    internal const string NorotOp = "DescrptNorot";
    internal const string SeAOp = "DescrptSeA";
    internal const string VersionNode = "model_attr/model_version";
    internal const string DfparamNode = "fitting_attr/dfparam";
    internal const string DaparamNode = "fitting_attr/daparam";

    public static VersionDetection Detect(GraphDef graph)
    {
        if (graph is null)
        {
            throw new ArgumentNullException(nameof(graph));
        }

        var index = new GraphIndex(graph);
        string? modelVersion = ModelIntrospector.ConstString(index, VersionNode);

        // Rule 1: the pre-1.0 op names. In a dump "DescrptNorot" can only come from an op or a node name.
        var norot = graph.Node.FirstOrDefault(n => n.Op.Contains(NorotOp) || n.Name.Contains(NorotOp));
        if (norot is not null)
        {
            return new VersionDetection(SourceVersions.V0_12, false,
                $"node '{norot.Name}' (op {norot.Op}) has the pre-1.0 name DescrptNorot (rule 1)", modelVersion);
        }

        // Rule 2: 1.0 added fitting_attr/dfparam, 1.1 added fitting_attr/daparam.
        if (index.Contains(DfparamNode) && !index.Contains(DaparamNode))
        {
            return new VersionDetection(SourceVersions.V1_0, false, $"{DfparamNode} without {DaparamNode} (rule 2)", modelVersion);
        }

        // Rule 3: no version node yet; 1.3 gave DescrptSeA its T attr. deepmd-kit looks for DT_DOUBLE in the text right
        // after name: "DescrptSeA" up to the first '}', i.e. inside the first attr, which is T when T exists (attrs are
        // sorted and upper case comes first). A float32 1.3 graph (T: DT_FLOAT) therefore reads as 1.2 there; both
        // convert to the same graph because the 1.2 step never overrides an existing T.
        if (!index.Contains(VersionNode))
        {
            var seA = index.Find(SeAOp) ?? graph.Node.FirstOrDefault(n => n.Op == SeAOp);
            if (seA is not null && seA.Attr.ContainsKey("T"))
            {
                return new VersionDetection(SourceVersions.V1_3, false,
                    $"no {VersionNode}; node '{seA.Name}' has the T attr that 1.3 added (rule 3)", modelVersion);
            }

            string why = seA is null
                ? $"no {VersionNode} and no DescrptSeA node (rule 3 then reads as 1.2)"
                : $"no {VersionNode}; node '{seA.Name}' has no T attr (rule 3)";
            return new VersionDetection(SourceVersions.V1_2, true, why + "; 1.1/1.2 ambiguous: deepmd-kit cannot tell them apart", modelVersion);
        }

        // Rules 4 and 5: the version string that 2.0 wrote ("1.0") and 2.1 raised to "1.1" (still current in 3.x).
        switch (modelVersion)
        {
            case "1.0":
                return new VersionDetection(SourceVersions.V2_0, false, $"{VersionNode} is \"1.0\" (rule 4)", modelVersion);
            case "1.1":
                return new VersionDetection(SourceVersions.V2_1, false, $"{VersionNode} is \"1.1\" (rule 5): deepmd-kit 2.1 or later", modelVersion);
            default:
                string seen = modelVersion is null ? "is not a string constant" : $"is \"{modelVersion}\"";
                return new VersionDetection(null, false, $"{VersionNode} {seen}, which no detection rule knows (deepmd-kit writes \"1.0\" or \"1.1\")", modelVersion);
        }
    }
}
