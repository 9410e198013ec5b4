using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Data.Analysis;

namespace Lawcat.Visualization;

/// <summary>
/// Results tables (DataFrames) as HTML for notebooks and reports, and as Markdown for notes. Numbers are formatted
/// here, invariantly, because DataFrame's own text output depends on the culture and prints every digit.
/// </summary>
public static class Tables
{
    /// <summary>An HTML table: a header row of column names, then one row per DataFrame row.</summary>
    public static string Html(DataFrame table, int digits = 4)
    {
        var sb = new StringBuilder("<table>\n<thead><tr>");
        foreach (var c in table.Columns) sb.Append("<th>").Append(WebUtility.HtmlEncode(c.Name)).Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        for (long i = 0; i < table.Rows.Count; i++)
        {
            sb.Append("<tr>");
            foreach (var c in table.Columns)
            {
                bool number = c[i] is double or float or int or long;
                sb.Append(number ? "<td style=\"text-align:right\">" : "<td>").Append(WebUtility.HtmlEncode(Cell(c[i], digits))).Append("</td>");
            }
            sb.Append("</tr>\n");
        }
        return sb.Append("</tbody>\n</table>").ToString();
    }

    /// <summary>A GitHub-flavoured Markdown table.</summary>
    public static string Markdown(DataFrame table, int digits = 4)
    {
        var sb = new StringBuilder();
        sb.Append("| ").Append(string.Join(" | ", table.Columns.Select(c => c.Name))).Append(" |\n");
        sb.Append("|").Append(string.Join("|", table.Columns.Select(c => c is StringDataFrameColumn ? "---" : "---:"))).Append("|\n");
        for (long i = 0; i < table.Rows.Count; i++)
            sb.Append("| ").Append(string.Join(" | ", table.Columns.Select(c => Cell(c[i], digits).Replace("|", "\\|")))).Append(" |\n");
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
}
