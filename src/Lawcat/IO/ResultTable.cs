using System.Globalization;
using System.Text;

namespace Lawcat.IO;

/// <summary>One named column of a <see cref="ResultTable"/>: its values (null where missing) and their type.</summary>
/// <param name="Name">The column's name (the CSV header).</param>
/// <param name="ValueType">The type of the values without its nullability: <see cref="string"/>, <see cref="int"/>,
/// <see cref="long"/> or <see cref="double"/>.</param>
/// <param name="Values">One value per row, boxed; null for a missing value.</param>
public sealed record TableColumn(string Name, Type ValueType, IReadOnlyList<object?> Values)
{
    /// <summary>A column of <paramref name="values"/>, typed as <typeparamref name="T"/> (nullable types count as their value type).</summary>
    public static TableColumn Of<T>(string name, IEnumerable<T> values) =>
        new(name, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), values.Select(v => (object?)v).ToList());

    /// <summary>The value in row <paramref name="row"/> (null where missing).</summary>
    public object? this[int row] => Values[row];
}

/// <summary>
/// A results table (evaluation summaries, ablation grids, diagnostics) as plain columns, written as CSV or Markdown
/// with invariant number formatting. The domain code says what a table holds; showing it (DataFrames, HTML) belongs
/// to the presentation assembly, which converts from this.
/// </summary>
/// <param name="Columns">The columns, all of the same length.</param>
public sealed record ResultTable(IReadOnlyList<TableColumn> Columns)
{
    /// <summary>A table of <paramref name="columns"/>.</summary>
    public ResultTable(params TableColumn[] columns) : this((IReadOnlyList<TableColumn>)columns) { }

    /// <summary>The number of rows (the length of the first column; 0 without columns).</summary>
    public int RowCount => Columns.Count == 0 ? 0 : Columns[0].Values.Count;

    /// <summary>The column named <paramref name="name"/>.</summary>
    public TableColumn this[string name] => Columns.FirstOrDefault(c => c.Name == name)
        ?? throw new KeyNotFoundException($"no column '{name}' (columns: {string.Join(", ", Columns.Select(c => c.Name))})");

    /// <summary>CSV: a quoted header, then one line per row; numbers with 6 significant digits, text quoted, missing values empty.</summary>
    public string ToCsv()
    {
        var lines = new List<string> { string.Join(",", Columns.Select(c => Quote(c.Name))) };
        for (int i = 0; i < RowCount; i++)
            lines.Add(string.Join(",", Columns.Select(c => CsvCell(c.Values[i]))));
        return string.Join("\n", lines) + "\n";
    }

    /// <summary>Writes <see cref="ToCsv"/> to <paramref name="path"/> through a temporary file, so the file is either old or whole.</summary>
    public void WriteCsv(string path) => TextFiles.WriteWhole(path, ToCsv());

    /// <summary>A GitHub-flavoured Markdown table, numbers with <paramref name="digits"/> significant digits and right-aligned.</summary>
    public string ToMarkdown(int digits = 4)
    {
        var sb = new StringBuilder();
        sb.Append("| ").Append(string.Join(" | ", Columns.Select(c => c.Name))).Append(" |\n");
        sb.Append("|").Append(string.Join("|", Columns.Select(c => c.ValueType == typeof(string) ? "---" : "---:"))).Append("|\n");
        for (int i = 0; i < RowCount; i++)
            sb.Append("| ").Append(string.Join(" | ", Columns.Select(c => Cell(c.Values[i], digits).Replace("|", "\\|")))).Append(" |\n");
        return sb.ToString();
    }

    /// <summary>One cell as text: doubles with <paramref name="digits"/> significant digits (G format), empty for missing values.</summary>
    public static string Cell(object? value, int digits) => value switch
    {
        null => "",
        double d when double.IsNaN(d) => "",
        double d => d.ToString("G" + digits, CultureInfo.InvariantCulture),
        float f => f.ToString("G" + digits, CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    static string CsvCell(object? v) => v switch
    {
        null => "",
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        float f => f.ToString("G6", CultureInfo.InvariantCulture),
        string s => Quote(s),
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
    };

    static string Quote(string s) => "\"" + s.Replace("\"", "\"\"") + "\"";
}
