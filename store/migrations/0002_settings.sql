-- The workspace's settings: one row, which always exists.

CREATE TABLE workspace_settings (
    -- id is always true, so the table can hold one row only.
    id                   boolean PRIMARY KEY DEFAULT true CHECK (id),
    -- base_currency is the ISO 4217 code money is reported in; fx_rates
    -- give base units per unit of another currency.
    base_currency        text NOT NULL DEFAULT 'USD' CHECK (base_currency ~ '^[A-Z]{3}$'),
    -- timezone is the IANA zone periods' days and months are read in.
    timezone             text NOT NULL DEFAULT 'UTC' CHECK (timezone <> ''),
    -- contact_pressure_cap is how many outbound touches a contact may get
    -- in a day before it is saturated.
    contact_pressure_cap int NOT NULL DEFAULT 5 CHECK (contact_pressure_cap > 0),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

INSERT INTO workspace_settings DEFAULT VALUES;
