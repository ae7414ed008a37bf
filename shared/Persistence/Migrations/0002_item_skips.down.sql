DROP TABLE item_skips;
