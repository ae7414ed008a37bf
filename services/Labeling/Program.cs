using ActiveLabel.Labeling;
using ActiveLabel.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("labeling");
builder.AddLabeling();

var app = builder.Build();
app.UseServiceDefaults();
app.MapLabeling();
app.Run();
