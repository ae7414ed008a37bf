namespace ActiveLabel.Learning.Tests;
