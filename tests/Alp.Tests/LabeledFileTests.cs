using ActiveLabel.Alp.Data;
using ActiveLabel.Learning;

namespace ActiveLabel.Alp.Tests;

public sealed class LabeledFileTests
{
    [Fact]
    public void Should_read_a_folder_of_gzip_text_files_as_one_class_per_file_skipping_the_source_note()
    {
        var (table, _) = LabeledFile.Read(Datasets.Path("clickbait"));

        var labels = table.Column("label");
        Assert.Equal(32_000, table.RowCount);
        Assert.Equal(["clickbait_data", "non_clickbait_data"], labels.Distinct().Order());
        Assert.Equal(15_999, labels.Count(l => l == "clickbait_data"));
    }

    [Fact]
    public void Should_concatenate_a_folder_of_csv_files_with_quoted_multiline_fields()
    {
        var (table, _) = LabeledFile.Read(Datasets.Path("youtube-spam"));

        Assert.Equal(1956, table.RowCount);
        Assert.Equal(1005, table.Column("label").Count(l => l == "1"));
    }

    [Fact]
    public void Should_name_columns_of_a_headerless_csv_c1_to_cn()
    {
        var (table, _) = LabeledFile.Read(Datasets.Path("wine-quality", "wine.csv"), hasHeader: false);

        Assert.Equal(178, table.RowCount);
        Assert.Equal("1", table.Column("c14")[0]);
    }

    [Fact]
    public void Should_read_jsonl_and_tab_separated_text_files()
    {
        using var temp = new TempFolder();
        var jsonl = temp.File("items.jsonl", "{\"text\": \"hello\", \"score\": 3, \"label\": \"a\"}\n\n{\"text\": \"bye\", \"label\": \"b\"}\n");
        var txt = temp.File("items.txt", "spam\tbuy now\nham\tsee you at lunch\n");

        var (json, _) = LabeledFile.Read(jsonl);
        var (lines, _) = LabeledFile.Read(txt);

        Assert.Equal(["3", null], json.Column("score"));
        Assert.Equal(["spam", "ham"], lines.Column("label"));
        Assert.Equal("see you at lunch", lines.Column("text")[1]);
    }

    [Fact]
    public void Should_report_the_line_of_invalid_json()
    {
        using var temp = new TempFolder();
        var path = temp.File("bad.jsonl", "{\"text\": \"ok\"}\n{not json\n");

        var error = Assert.Throws<DataFormatException>(() => LabeledFile.Read(path));

        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
    }
}
