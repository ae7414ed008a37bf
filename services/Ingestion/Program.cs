using ActiveLabel.Ingestion;
using ActiveLabel.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("ingestion");
builder.AddIngestion();

var app = builder.Build();
app.UseServiceDefaults();
app.MapIngestion();
app.Run();
