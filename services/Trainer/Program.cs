using ActiveLabel.ServiceDefaults;
using ActiveLabel.Trainer;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("trainer");
builder.AddTrainer();

var app = builder.Build();
app.UseServiceDefaults();
app.MapTrainer();
app.Run();
