using System.Net;
using ActiveLabel.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;
using SpanKind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind;

namespace ActiveLabel.IntegrationTests.Telemetry;

/// <summary>
/// What the four services export over OTLP (http/protobuf) to a collector: one trace that follows the label that made
/// the project due from its HTTP request through <c>LabelAdded</c>, the training, <c>ModelTrained</c> and the new
/// query session to <c>QueriesReady</c>; and the platform's metrics.
/// </summary>
public sealed class TelemetryExportTests(TelemetryFixture stack, ITestOutputHelper output) : IClassFixture<TelemetryFixture>
{
    private const string Platform = "ActiveLabel";
    private const string Bus = "MassTransit";
    private static readonly TimeSpan ExportTimeout = TimeSpan.FromSeconds(30);

    // Any service's outbox relay may send a row (they share the outbox table), so the two spans of a dispatch belong
    // to whichever service claimed it; null stands for "any platform service".
    private static readonly (string? Service, SpanKind Kind, string Scope, string Name)[] ExpectedChain =
    [
        ("labeling", SpanKind.Server, "Microsoft.AspNetCore", "POST /api/projects/{projectId:guid}/items/{itemId:long}/labels"),
        (null, SpanKind.Producer, Platform, "outbox relay LabelAdded"),
        (null, SpanKind.Producer, Bus, "ActiveLabel.Contracts:LabelAdded send"),
        ("trainer", SpanKind.Consumer, Bus, "trainer-label-added receive"),
        ("trainer", SpanKind.Consumer, Bus, "trainer-label-added process"),
        ("trainer", SpanKind.Internal, Platform, "training check"),
        ("trainer", SpanKind.Internal, Platform, "train project"),
        (null, SpanKind.Producer, Platform, "outbox relay ModelTrained"),
        (null, SpanKind.Producer, Bus, "ActiveLabel.Contracts:ModelTrained send"),
        ("query-sampler", SpanKind.Consumer, Bus, "query-sampler-model-trained receive"),
        ("query-sampler", SpanKind.Consumer, Bus, "query-sampler-model-trained process"),
        ("query-sampler", SpanKind.Internal, Platform, "build query session"),
        (null, SpanKind.Producer, Platform, "outbox relay QueriesReady"),
        (null, SpanKind.Producer, Bus, "ActiveLabel.Contracts:QueriesReady send"),
    ];

    private static readonly string[] PlatformServices = ["ingestion", "labeling", "trainer", "query-sampler"];

    [Fact]
    public async Task The_label_that_triggered_a_model_should_be_traced_through_training_to_QueriesReady()
    {
        List<ReceivedSpan> chain = [];
        try
        {
            await Wait.UntilAsync(
                () => Task.FromResult((chain = ChainToQueriesReady(modelVersion: 2)).Count > 0 && chain[0].ParentSpanId is null),
                ExportTimeout,
                "the spans from the POST of a label to the publish of QueriesReady of model v2");
        }
        finally
        {
            output.WriteLine(string.Join('\n', chain));
        }

        // Each span's parent is the one before it (ChainToQueriesReady walked the parent links up from the leaf).
        Assert.Equal(ExpectedChain.Select(e => (e.Kind, e.Scope, e.Name)), chain.Select(s => (s.Kind, s.Scope, s.Name)));
        for (var i = 0; i < chain.Count; i++)
        {
            Assert.Equal(i == 0 ? null : chain[i - 1].SpanId, chain[i].ParentSpanId);
            Assert.Contains(chain[i].Service, PlatformServices);
            if (ExpectedChain[i].Service is { } service)
            {
                Assert.Equal(service, chain[i].Service);
            }
        }

        // A dispatch's publish is sent by the relay that claimed the row.
        Assert.Equal(chain[1].Service, chain[2].Service);
        Assert.Equal(chain[7].Service, chain[8].Service);
        Assert.Equal(chain[12].Service, chain[13].Service);

        // The root is the POST of one of the labels given through the API, answered 201, and it is that label's
        // LabelAdded the Trainer consumed; the session built is model v2's.
        var post = chain[0];
        Assert.Equal("201", post.Attributes["http.response.status_code"]);
        Assert.Contains(stack.LabeledItems, item => post.Attributes["url.path"] == $"/api/projects/{stack.ProjectId}/items/{item}/labels");
        Assert.Equal("2", chain[6].Attributes["alp.model_version"]);
        Assert.Equal("2", chain[11].Attributes["alp.model_version"]);
        Assert.Equal($"{stack.ProjectId}", chain[11].Attributes["alp.project_id"]);
        Assert.Equal("trainer-label-added", chain[3].Attributes["messaging.destination.name"]);
        Assert.Equal("query-sampler-model-trained", chain[9].Attributes["messaging.destination.name"]);
    }

    [Fact]
    public async Task Each_platform_metric_should_reach_the_collector_with_a_plausible_value()
    {
        // A Scorer call, a poison LabelAdded for the Trainer's error queue, and an outbox row no relay can send yet:
        // committed, but locked by this test, so the relays skip it (SKIP LOCKED) while a count sees it.
        // 503 is the guess endpoint's "the Scorer is busy, label without it": on a machine shared with other test
        // classes the first call (which loads the model) can miss its deadline, so ask again until one is answered.
        await Wait.UntilAsync(
            async () =>
            {
                using var guess = await stack.SendAsync("Labeling", HttpMethod.Get, $"/api/projects/{stack.ProjectId}/items/{stack.LabeledItems[0]}/guess");
                return guess.StatusCode == HttpStatusCode.OK;
            },
            TimeSpan.FromSeconds(120),
            "the model's guess through the Scorer");

        await using (var probe = await AmqpProbe.ConnectAsync(stack.VirtualHost.Name))
        {
            await probe.PublishAsync("LabelAdded", new
            {
                projectId = stack.ProjectId,
                labelId = 1,
                itemId = 1,
                label = "news",
                annotator = "lead",
                schemaVersion = 99,
                occurredAt = DateTimeOffset.UtcNow,
            });
        }

        await using var connection = await stack.Database.OpenConnectionAsync();
        var held = await InsertOutboxRowAsync(connection);
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var hold = new NpgsqlCommand("SELECT id FROM outbox_messages WHERE id = @id FOR UPDATE", connection, transaction);
            hold.Parameters.AddWithValue("id", held);
            await hold.ExecuteScalarAsync();
            var holding = SampledAfter();
            await Wait.UntilAsync(() => Task.FromResult(Latest("labeling", "alp.outbox.pending", holding)?.Value == 1), ExportTimeout, "alp.outbox.pending to report the held row");
        }

        var released = SampledAfter();
        await Wait.UntilAsync(() => Task.FromResult(Latest("labeling", "alp.outbox.pending", released)?.Value == 0), ExportTimeout, "alp.outbox.pending to report the row sent");
        await Wait.UntilAsync(
            () => Task.FromResult(Latest("trainer", "alp.queue.depth", ("messaging.destination.name", "trainer-label-added_error"))?.Value == 1),
            ExportTimeout,
            "alp.queue.depth to report the poison message in trainer-label-added_error");
        var dispatched = await stack.ScalarAsync("SELECT count(*) FROM outbox_messages WHERE dispatched_at IS NOT NULL");
        await Wait.UntilAsync(
            () => Task.FromResult(PlatformServices.Sum(s => (long)(Latest(s, "alp.outbox.lag")?.Count ?? 0)) == dispatched),
            ExportTimeout,
            $"alp.outbox.lag to count the {dispatched} messages the relays sent");

        // Labels per second: the counter of stored labels (its rate), one per label given through the API.
        Assert.Equal(TelemetryFixture.RetrainEvery, Latest("labeling", "alp.labels.stored")?.Value);
        // Lease wait: one measurement per get-next that leased an item.
        AssertHistogram(Latest("labeling", "alp.lease.wait", ("alp.lease.outcome", "leased")), count: TelemetryFixture.RetrainEvery, maxMs: 60_000);
        // Training duration and query latency (ModelTrained to QueriesReady): one each per model, v1 and v2.
        AssertHistogram(Latest("trainer", "alp.training.duration"), count: 2, maxMs: 120_000);
        AssertHistogram(Latest("query-sampler", "alp.query.session_duration"), count: 2, maxMs: 120_000);
        AssertHistogram(Latest("query-sampler", "alp.query.ready_latency"), count: 2, maxMs: 120_000);
        Assert.True(
            Latest("query-sampler", "alp.query.ready_latency")!.Value >= Latest("query-sampler", "alp.query.session_duration")!.Value,
            "ModelTrained to QueriesReady includes the session build.");
        // Scorer latency: the answered calls (a missed deadline is recorded under its own status code).
        AssertHistogram(Latest("query-sampler", "alp.scorer.duration", ("rpc.grpc.status_code", "0")), count: 1, maxMs: 60_000, atLeast: true);
        // Outbox lag: every relayed message measured, none negative.
        Assert.All(PlatformServices.Select(s => Latest(s, "alp.outbox.lag")).OfType<ReceivedPoint>(), p => Assert.True(p.Min >= 0, $"{p.Service}: lag {p.Min} ms"));
        // Queue depth: the service's own queues, drained.
        Assert.Equal(0, Latest("trainer", "alp.queue.depth", ("messaging.destination.name", "trainer-label-added"))?.Value);
        Assert.Equal(0, Latest("query-sampler", "alp.queue.depth", ("messaging.destination.name", "query-sampler-model-trained"))?.Value);
        Assert.Null(Latest("labeling", "alp.queue.depth", ("messaging.destination.name", "trainer-label-added")));
    }

    private static void AssertHistogram(ReceivedPoint? point, ulong count, double maxMs, bool atLeast = false)
    {
        Assert.NotNull(point);
        Assert.Equal(MetricKind.Histogram, point.Kind);
        Assert.Equal("ms", point.Unit);
        Assert.True(atLeast ? point.Count >= count : point.Count == count, $"{point.Name}: {point.Count} measurements, expected {(atLeast ? "at least " : "")}{count}");
        Assert.True(point.Min > 0 && point.Max < maxMs, $"{point.Name}: min {point.Min} ms, max {point.Max} ms");
        Assert.InRange(point.Value, point.Min!.Value * point.Count, point.Max!.Value * point.Count);
    }

    /// <summary>The newest point of a metric from a service, with the given attributes.</summary>
    private ReceivedPoint? Latest(string service, string metric, params (string Key, string Value)[] attributes) =>
        Latest(service, metric, 0, attributes);

    /// <summary>The newest point of a metric from a service, with the given attributes, exported after <paramref name="afterUnixNano"/>.</summary>
    private ReceivedPoint? Latest(string service, string metric, ulong afterUnixNano, params (string Key, string Value)[] attributes) =>
        stack.Receiver.Points
            .Where(p => p.Service == service && p.Name == metric && p.TimeUnixNano > afterUnixNano && attributes.All(a => p.Attributes.GetValueOrDefault(a.Key) == a.Value))
            .MaxBy(p => p.TimeUnixNano);

    /// <summary>
    /// A time after which exported gauge points reflect samples taken from now on: the gauges are sampled every
    /// 0.5 s (Telemetry__QueueDepthSeconds in the fixture), so a point exported a second later is not an older sample.
    /// </summary>
    private static ulong SampledAfter() => (ulong)(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1_000) * 1_000_000;

    private async Task<long> InsertOutboxRowAsync(NpgsqlConnection connection)
    {
        await using var insert = new NpgsqlCommand(
            "INSERT INTO outbox_messages (message_type, body, created_at, attempts) VALUES ('ActiveLabel.Contracts.QueriesReady', @body::jsonb, now(), 0) RETURNING id",
            connection);
        insert.Parameters.AddWithValue("body", System.Text.Json.JsonSerializer.Serialize(new
        {
            projectId = stack.ProjectId,
            sessionId = 99,
            modelVersion = 2,
            strategy = "least_confidence",
            queryCount = 0,
            schemaVersion = 1,
            occurredAt = DateTimeOffset.UtcNow,
        }));
        return (long)(await insert.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// The ancestors of the QueriesReady publish in the trace of the training of <paramref name="modelVersion"/>, root
    /// first, each the parent of the next; empty until the training span and the publish have arrived.
    /// </summary>
    private List<ReceivedSpan> ChainToQueriesReady(int modelVersion)
    {
        var spans = stack.Receiver.Spans.ToList();
        var training = spans.FirstOrDefault(s => s.Name == "train project" && s.Attributes.GetValueOrDefault("alp.model_version") == $"{modelVersion}");
        if (training is null)
        {
            return [];
        }

        var trace = spans.Where(s => s.TraceId == training.TraceId).ToDictionary(s => s.SpanId);
        var leaf = trace.Values.SingleOrDefault(s => s.Name == "ActiveLabel.Contracts:QueriesReady send");
        var chain = new List<ReceivedSpan>();
        for (var span = leaf; span is not null; span = span.ParentSpanId is { } parent ? trace.GetValueOrDefault(parent) : null)
        {
            chain.Insert(0, span);
        }

        return chain;
    }
}
