"""Analysis: findings, cost analytics, anomalies, rate optimization and forecasts."""
