using ActiveLabel.Labeling;
using ActiveLabel.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
// Labeling takes no session advisory locks and sets nothing on its connections (the Trainer and Ingestion do).
builder.AddServiceDefaults("labeling", keepsNoSessionState: true);
builder.AddLabeling();

var app = builder.Build();
app.UseServiceDefaults();
app.MapLabeling();
app.Run();
