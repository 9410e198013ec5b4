using System.Text.Json;

namespace Lawcat.Tokenization;

/// <summary>Typed reads of tokenizer JSON members whose errors name the file and the member.</summary>
sealed class JsonFields(string source)
{
    /// <summary>An error about <paramref name="where"/> in the file.</summary>
    public LawcatException Error(string where, string problem) => new($"{source}: {where} {problem}");

    /// <summary>The member, or null when it is absent or JSON null.</summary>
    public static JsonElement? Optional(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    /// <summary>An object member that must be present.</summary>
    public JsonElement Object(JsonElement obj, string name, string where) =>
        Optional(obj, name) is { ValueKind: JsonValueKind.Object } v ? v : throw Error($"{where}.{name}", "is missing or not an object.");

    /// <summary>An array member that must be present.</summary>
    public JsonElement Array(JsonElement obj, string name, string where) =>
        Optional(obj, name) is { ValueKind: JsonValueKind.Array } v ? v : throw Error($"{where}.{name}", "is missing or not an array.");

    /// <summary>A string member, or null when absent.</summary>
    public string? String(JsonElement obj, string name, string where) => Optional(obj, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        _ => throw Error($"{where}.{name}", "should be a string."),
    };

    /// <summary>A boolean member, or <paramref name="absent"/> when absent.</summary>
    public bool Bool(JsonElement obj, string name, string where, bool absent) => Optional(obj, name) switch
    {
        null => absent,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw Error($"{where}.{name}", "should be true or false."),
    };

    /// <summary>A non-negative integer.</summary>
    public int Id(JsonElement value, string where) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var id) && id >= 0 ? id : throw Error(where, "should be a non-negative integer id.");

    /// <summary>The <c>type</c> of a component object.</summary>
    public string Type(JsonElement component, string where) =>
        String(component, "type", where) ?? throw Error(where, "has no \"type\".");
}
