"""KPIs: metric catalogue, targets, actuals, activities, opportunities and the plan-versus-actual engine."""
