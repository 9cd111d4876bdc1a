-- Balance top-ups (issue 11): a user puts money on the balance by card, SBP, crypto or Telegram
-- Stars. The order is a payment without a subscription (like a gift's) plus this row, created in
-- the same transaction; `amount` is what the balance gets, in RUB (a Stars order's payment is in
-- XTR, so the RUB worth is fixed here when the order is made). The payment's completion credits it
-- in its own transaction: credited_at is set once, the payment is marked applied, and the ledger
-- gets one 'top_up' row keyed `top-up:<payment_id>`, so a repeated webhook, a late verdict or a
-- retried activity can never credit it twice.

-- Up Migration

CREATE TABLE balance_top_ups (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    payment_id INTEGER NOT NULL REFERENCES payments(id),
    amount NUMERIC(12, 2) NOT NULL,
    credited_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT balance_top_ups_payment_id_key UNIQUE (payment_id),
    CONSTRAINT balance_top_ups_amount_positive CHECK (amount > 0)
);
CREATE INDEX idx_balance_top_ups_user_id ON balance_top_ups(user_id);

-- Down Migration

DROP TABLE balance_top_ups;
