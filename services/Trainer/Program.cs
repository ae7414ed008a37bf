using ActiveLabel.Trainer;
using ActiveLabel.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("trainer");
builder.AddTrainer();

var app = builder.Build();
app.UseServiceDefaults();
app.MapTrainer();
app.Run();
