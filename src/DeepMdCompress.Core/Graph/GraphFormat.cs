namespace DeepMdCompress.Core.Graph;

/// <summary>How a GraphDef is stored on disk.</summary>
public enum GraphFormat
{
    /// <summary>Protobuf wire format (<c>.pb</c>).</summary>
    Binary,

    /// <summary>Protobuf text format (<c>.pbtxt</c>).</summary>
    Text,
}
