"""tsqa-bot: a chat assistant for Trust & Safety QA teams running outsourced labelling vendors."""
