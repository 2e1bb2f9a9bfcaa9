using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace DeepMdCompress;

/// <summary>
/// Tab completion of graph node names (Invoke-FrozenModel -Output) from the model bound to -InputObject: the model
/// outputs (o_*) first, then every other node, by prefix.
/// </summary>
public sealed class NodeNameCompleter : IArgumentCompleter
{
    private const int MaxResults = 200;

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        object? bound = fakeBoundParameters?["InputObject"];
        if ((bound is PSObject pso ? pso.BaseObject : bound) is not FrozenModel model)
        {
            return Array.Empty<CompletionResult>();
        }

        string prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        return model.GetGraphDef().Node.Select(n => n.Name)
            .Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .OrderBy(n => n.StartsWith("o_", StringComparison.Ordinal) ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal)
            .Take(MaxResults)
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
    }
}
