int pg_wire_anchor;
