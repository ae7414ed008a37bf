DROP TABLE simulation_baselines;
