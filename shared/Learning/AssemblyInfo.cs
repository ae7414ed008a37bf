namespace ActiveLabel.Learning;
