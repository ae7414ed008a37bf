using ActiveLabel.QuerySampler;
using ActiveLabel.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("query-sampler");
builder.AddQuerySampler();

var app = builder.Build();
app.UseServiceDefaults();
app.MapQuerySampler();
app.Run();
