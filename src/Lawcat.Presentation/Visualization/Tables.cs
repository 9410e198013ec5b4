using System.Net;
using System.Text;
using Lawcat.IO;
using Microsoft.Data.Analysis;

namespace Lawcat.Visualization;

/// <summary>
/// Results tables as DataFrames (for notebooks, which display them) and as HTML (for notebooks and reports). The
/// library's tables are <see cref="ResultTable"/>s; numbers are formatted by <see cref="ResultTable.Cell"/>,
/// invariantly, because DataFrame's own text output depends on the culture and prints every digit.
/// </summary>
public static class Tables
{
    /// <summary>The table as a DataFrame: text, 32-bit, 64-bit and double columns, missing values as nulls.</summary>
    public static DataFrame ToDataFrame(ResultTable table) => new(table.Columns.Select(Column));

    /// <summary>The DataFrame as a <see cref="ResultTable"/> (to write it as CSV or Markdown).</summary>
    public static ResultTable ToResultTable(DataFrame table) => new(table.Columns.Select(c =>
        new TableColumn(c.Name, c.DataType, Enumerable.Range(0, (int)c.Length).Select(i => c[i]).ToList())).ToList());

    /// <summary>An HTML table: a header row of column names, then one row per row of the table.</summary>
    public static string Html(ResultTable table, int digits = 4)
    {
        var sb = new StringBuilder("<table>\n<thead><tr>");
        foreach (var c in table.Columns) sb.Append("<th>").Append(WebUtility.HtmlEncode(c.Name)).Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        for (int i = 0; i < table.RowCount; i++)
        {
            sb.Append("<tr>");
            foreach (var c in table.Columns)
            {
                bool number = c[i] is double or float or int or long;
                sb.Append(number ? "<td style=\"text-align:right\">" : "<td>").Append(WebUtility.HtmlEncode(ResultTable.Cell(c[i], digits))).Append("</td>");
            }
            sb.Append("</tr>\n");
        }
        return sb.Append("</tbody>\n</table>").ToString();
    }

    /// <summary>A DataFrame as an HTML table (see <see cref="Html(ResultTable, int)"/>).</summary>
    public static string Html(DataFrame table, int digits = 4) => Html(ToResultTable(table), digits);

    static DataFrameColumn Column(TableColumn c)
    {
        if (c.ValueType == typeof(string)) return new StringDataFrameColumn(c.Name, c.Values.Select(v => (string?)v));
        if (c.ValueType == typeof(int)) return new Int32DataFrameColumn(c.Name, c.Values.Select(v => (int?)v));
        if (c.ValueType == typeof(long)) return new Int64DataFrameColumn(c.Name, c.Values.Select(v => (long?)v));
        if (c.ValueType == typeof(double)) return new DoubleDataFrameColumn(c.Name, c.Values.Select(v => (double?)v));
        throw new ArgumentException($"column '{c.Name}': values of type {c.ValueType.Name} have no DataFrame column type.");
    }
}
