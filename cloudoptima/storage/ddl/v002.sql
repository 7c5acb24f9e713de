-- Version 2 (frozen): workspace settings and EA reservation recommendations.
CREATE TABLE settings (key VARCHAR PRIMARY KEY, value JSON);
CREATE TABLE reservation_recommendations (
    sku VARCHAR, location VARCHAR, term VARCHAR, scope VARCHAR,
    look_back_period VARCHAR, resource_type VARCHAR, meter_id VARCHAR,
    recommended_quantity DOUBLE, recommended_quantity_normalized DOUBLE,
    normalized_size VARCHAR, instance_flexibility_group VARCHAR,
    instance_flexibility_ratio DOUBLE, first_usage_date TIMESTAMP,
    cost_without_reservation DOUBLE, total_cost_with_reservation DOUBLE,
    net_savings DOUBLE, sku_properties JSON, _import_id INTEGER
);
