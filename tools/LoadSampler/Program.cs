using ActiveLabel.LoadSampler;

// load-sampler seed    --kind text|tabular --items N            creates a project with N items (200 seed labels); prints its id
// load-sampler measure --project ID --log FILE --pid PID [--strategies a,b] [--add N]
//                                                                times ModelTrained → QueriesReady (see SamplerProbe)
// load-sampler uncached --project ID                             the pre-cache path in-process, stage by stage
// Reads ConnectionStrings__Platform and RabbitMq__* like the services.
if (args.Length == 0)
{
    await Console.Error.WriteLineAsync("usage: load-sampler seed|measure|uncached [options] (see scripts/load-sampler)");
    return 2;
}

var options = Arguments.Parse(args[1..]);
return args[0] switch
{
    "seed" => await PoolSeeder.RunAsync(options),
    "measure" => await SamplerProbe.RunAsync(options),
    "uncached" => await UncachedBaseline.RunAsync(options),
    _ => throw new ArgumentException($"Unknown command '{args[0]}': use seed, measure or uncached."),
};
