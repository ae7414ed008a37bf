using ActiveLabel.Alp;

return AlpCommands.Create().Parse(args).Invoke();
