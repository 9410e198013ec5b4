using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Events;

namespace Lawcat.Interactive;

/// <summary>
/// Turns one cell's kernel events into Jupyter outputs (nbformat 4), the way the editors save them: consecutive
/// standard output as one <c>stream</c>, displayed values as <c>display_data</c> (updated in place when the kernel
/// updates them), the return value as <c>execute_result</c> and a failure as one <c>error</c>.
/// </summary>
sealed class JupyterOutputs(int executionCount)
{
    readonly Dictionary<string, JsonObject> _displays = new();
    readonly List<string> _errors = new();
    string? _errorName;

    /// <summary>The outputs so far.</summary>
    public JsonArray Outputs { get; } = new();

    /// <summary>Mime types of every displayed value, in order.</summary>
    public List<string> MimeTypes { get; } = new();

    /// <summary>The cell's error text, or null when it produced none.</summary>
    public string? Error => _errors.Count == 0 ? null : string.Join("\n", _errors);

    /// <summary>Adds what <paramref name="e"/> shows; other events are ignored.</summary>
    public void Add(KernelEvent e)
    {
        switch (e)
        {
            case CommandFailed f:
                AddError(f.Message + (f.Exception is null ? "" : "\n" + f.Exception), f.Exception?.GetType().Name);
                break;
            case ErrorProduced p:
                MimeTypes.AddRange(p.FormattedValues.Select(v => v.MimeType));
                AddError(p.Message, null);
                break;
            case StandardOutputValueProduced o: Stream("stdout", o); break;
            case StandardErrorValueProduced o: Stream("stderr", o); break;
            case ReturnValueProduced r: Display(r, new JsonObject { ["output_type"] = "execute_result", ["execution_count"] = executionCount }); break;
            case DisplayedValueUpdated u when u.ValueId is not null && _displays.TryGetValue(u.ValueId, out var shown):
                shown["data"] = Data(u);
                break;
            case DisplayEvent d: Display(d, new JsonObject { ["output_type"] = "display_data" }); break;
        }
    }

    /// <summary>Appends the error output; call once, after the cell's last event.</summary>
    public void Finish()
    {
        if (Error is not string error) return;
        var lines = error.Split('\n');
        Outputs.Add(new JsonObject
        {
            ["output_type"] = "error",
            ["ename"] = _errorName ?? "Error",
            ["evalue"] = lines[0],
            ["traceback"] = new JsonArray(lines.Select(l => (JsonNode?)l).ToArray()),
        });
    }

    void AddError(string message, string? name)
    {
        // A failure is often reported twice (ErrorProduced and CommandFailed): keep each text once.
        if (!_errors.Any(e => e.StartsWith(message.Split('\n')[0], StringComparison.Ordinal))) _errors.Add(message);
        _errorName ??= name;
    }

    void Stream(string name, DisplayEvent e)
    {
        var text = string.Concat(e.FormattedValues.Where(v => v.MimeType == "text/plain").Select(v => v.Value));
        MimeTypes.AddRange(e.FormattedValues.Select(v => v.MimeType));
        if (Outputs.Count > 0 && Outputs[^1] is JsonObject last && last["output_type"]?.GetValue<string>() == "stream" && last["name"]?.GetValue<string>() == name)
            last["text"] = last["text"]!.GetValue<string>() + text;
        else Outputs.Add(new JsonObject { ["output_type"] = "stream", ["name"] = name, ["text"] = text });
    }

    void Display(DisplayEvent e, JsonObject output)
    {
        var data = Data(e);
        if (data.Count == 0) return;
        MimeTypes.AddRange(data.Select(d => d.Key));
        output["data"] = data;
        output["metadata"] = new JsonObject();
        Outputs.Add(output);
        if (e.ValueId is not null) _displays[e.ValueId] = output;
    }

    static JsonObject Data(DisplayEvent e)
    {
        var data = new JsonObject();
        foreach (var v in e.FormattedValues.Where(v => !v.SuppressDisplay)) data[v.MimeType] = v.Value;
        return data;
    }
}
