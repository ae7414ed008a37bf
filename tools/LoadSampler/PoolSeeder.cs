using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace ActiveLabel.LoadSampler;

/// <summary>
/// Makes large pools from the bundled datasets, written with binary COPY (set-up, not what is measured). Text: the
/// 32,000 clickbait headlines, and beyond them variants with one word swapped for a word of another headline, so the
/// pool keeps growing its n-grams as a real one would. Tabular: wine-color's 6,497 rows, and beyond them the same rows
/// with every measurement jittered by up to ±1%.
/// </summary>
internal sealed class PoolSeeder
{
    public const int SeedLabels = 200;

    private static readonly string[] TextColumns = ["text"];

    private readonly string _kind;
    private readonly string[] _texts = [];
    private readonly string[] _labels;
    private readonly string[] _words = [];
    private readonly string[] _header = [];
    private readonly string[][] _rows = [];

    public PoolSeeder(string kind)
    {
        _kind = kind;
        var datasets = FindDatasets();
        if (kind == "text")
        {
            var texts = new List<string>();
            var labels = new List<string>();
            foreach (var (file, label) in new[] { ("clickbait_data.gz", "clickbait"), ("non_clickbait_data.gz", "news") })
            {
                using var reader = new StreamReader(new GZipStream(File.OpenRead(Path.Combine(datasets, "clickbait", file)), CompressionMode.Decompress));
                while (reader.ReadLine() is { } line)
                {
                    if (!string.IsNullOrWhiteSpace(line))
                    {
                        texts.Add(line.Trim());
                        labels.Add(label);
                    }
                }
            }

            // Interleave the two classes so that any prefix holds both.
            var order = Enumerable.Range(0, texts.Count).OrderBy(i => (i * 2654435761L) % 1_000_003).ToArray();
            _texts = [.. order.Select(i => texts[i])];
            _labels = [.. order.Select(i => labels[i])];
            _words = [.. _texts.SelectMany(t => t.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.Ordinal)];
        }
        else if (kind == "tabular")
        {
            var lines = File.ReadAllLines(Path.Combine(datasets, "wine-quality", "wine-color.csv")).Where(l => l.Length > 0).ToArray();
            _header = [.. lines[0].Split(',').Take(11)];
            var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
            var order = Enumerable.Range(0, rows.Length).OrderBy(i => (i * 2654435761L) % 1_000_003).ToArray();
            _rows = [.. order.Select(i => rows[i])];
            _labels = [.. _rows.Select(r => r[12])];
        }
        else
        {
            throw new ArgumentException($"--kind must be text or tabular, not '{kind}'.");
        }
    }

    public string[] LabelSet => [.. _labels.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    public static async Task<int> RunAsync(Arguments args)
    {
        var seeder = new PoolSeeder(args.Required("kind"));
        await using var connection = new NpgsqlConnection(Arguments.ConnectionString);
        await connection.OpenAsync();
        var project = await seeder.CreateProjectAsync(connection, args.Get("strategy", "least_confidence"));
        await seeder.AppendAsync(connection, project, 0, args.Int("items", 1_000_000));
        await seeder.LabelSeedsAsync(connection, project);
        Console.WriteLine(project);
        return 0;
    }

    public async Task<Guid> CreateProjectAsync(NpgsqlConnection connection, string strategy)
    {
        var project = Guid.NewGuid();
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO projects (id, name, task_type, text_columns, feature_columns, retrain_every, query_strategy, query_batch_size, created_at)
            VALUES (@id, @name, @task, @text, @features, 1000000, @strategy, 1000, now());
            INSERT INTO project_labels (project_id, name, key, position) SELECT @id, label, NULL, ordinality - 1 FROM unnest(@labels) WITH ORDINALITY AS l(label, ordinality);
            """, connection);
        command.Parameters.AddWithValue("id", project);
        command.Parameters.AddWithValue("name", $"load-{_kind}-{project.ToString("N")[..8]}");
        command.Parameters.AddWithValue("task", _kind == "text" ? "Text" : "Tabular");
        command.Parameters.AddWithValue("text", _kind == "text" ? TextColumns : Array.Empty<string>());
        command.Parameters.AddWithValue("features", _kind == "text" ? Array.Empty<string>() : _header);
        command.Parameters.AddWithValue("strategy", strategy);
        command.Parameters.AddWithValue("labels", LabelSet);
        await command.ExecuteNonQueryAsync();
        return project;
    }

    /// <summary>Items first..first+count-1 of the generated sequence, unlabeled, in one COPY; then VACUUM ANALYZE as autovacuum would.</summary>
    public async Task AppendAsync(NpgsqlConnection connection, Guid project, int first, int count)
    {
        var random = new Random(first + 1);
        await using (var import = await connection.BeginBinaryImportAsync(
            "COPY items (project_id, external_id, content_hash, payload, is_labeled, created_at) FROM STDIN (FORMAT BINARY)"))
        {
            var now = DateTimeOffset.UtcNow;
            for (var i = first; i < first + count; i++)
            {
                var payload = Payload(i, random);
                await import.StartRowAsync();
                await import.WriteAsync(project, NpgsqlDbType.Uuid);
                await import.WriteAsync("i" + i.ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Varchar);
                await import.WriteAsync(SHA256.HashData(Encoding.UTF8.GetBytes(i.ToString(CultureInfo.InvariantCulture) + "\0" + payload)), NpgsqlDbType.Bytea);
                await import.WriteAsync(payload, NpgsqlDbType.Jsonb);
                await import.WriteAsync(false, NpgsqlDbType.Boolean);
                await import.WriteAsync(now, NpgsqlDbType.TimestampTz);
            }

            await import.CompleteAsync();
        }

        await using var vacuum = new NpgsqlCommand("VACUUM ANALYZE items", connection) { CommandTimeout = 600 };
        await vacuum.ExecuteNonQueryAsync();
    }

    /// <summary>Gives <see cref="SeedLabels"/> items, spread over the pool, their true label: the project becomes due for a first model.</summary>
    public async Task LabelSeedsAsync(NpgsqlConnection connection, Guid project)
    {
        await using var command = new NpgsqlCommand(
            """
            WITH numbered AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n, count(*) OVER () AS total FROM items WHERE project_id = @p),
                 picked AS (SELECT id, n FROM numbered WHERE n % greatest(total / @seeds, 1) = 0 LIMIT @seeds)
            UPDATE items i SET seed_label = (@labels)[(picked.n % @cycle) + 1], is_labeled = true FROM picked WHERE i.id = picked.id
            """, connection);
        var seeds = Math.Min(SeedLabels, 100_000);
        command.Parameters.AddWithValue("p", project);
        command.Parameters.AddWithValue("seeds", (long)seeds);
        // Item n's true label is _labels[n % cycle], the dataset repeating.
        command.Parameters.AddWithValue("labels", _labels);
        command.Parameters.AddWithValue("cycle", (long)_labels.Length);
        await command.ExecuteNonQueryAsync();
    }

    private string Payload(int i, Random random)
    {
        if (_kind == "text")
        {
            var text = _texts[i % _texts.Length];
            if (i >= _texts.Length)
            {
                var words = text.Split(' ');
                words[random.Next(words.Length)] = _words[random.Next(_words.Length)];
                text = string.Join(' ', words);
            }

            return JsonSerializer.Serialize(new Dictionary<string, string> { ["text"] = text });
        }

        var row = _rows[i % _rows.Length];
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var j = 0; j < _header.Length; j++)
        {
            var value = row[j];
            if (i >= _rows.Length)
            {
                value = (double.Parse(value, CultureInfo.InvariantCulture) * (1 + ((random.NextDouble() - 0.5) * 0.02))).ToString("G6", CultureInfo.InvariantCulture);
            }

            values[_header[j]] = value;
        }

        return JsonSerializer.Serialize(values);
    }

    private static string FindDatasets()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ActiveLabelPlatform.sln")))
            {
                return Path.Combine(dir.FullName, "datasets");
            }
        }

        throw new DirectoryNotFoundException("datasets/ not found above " + AppContext.BaseDirectory);
    }
}
