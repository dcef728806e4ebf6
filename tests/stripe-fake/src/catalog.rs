//! The products and prices every fake starts with, under fixed ids so the application's
//! plan catalog can name them in configuration.

use crate::model::{Price, Product, Table};

pub const STARTER_PRODUCT: &str = "prod_kairos_starter";
pub const PRO_PRODUCT: &str = "prod_kairos_pro";
/// Kairos Starter, €19.00 a month.
pub const STARTER_MONTHLY_PRICE: &str = "price_kairos_starter_monthly";
/// Kairos Pro, €49.00 a month.
pub const PRO_MONTHLY_PRICE: &str = "price_kairos_pro_monthly";

/// Product id, name, price id and monthly amount in cents.
const PLANS: [(&str, &str, &str, i64); 2] = [
    (STARTER_PRODUCT, "Kairos Starter", STARTER_MONTHLY_PRICE, 1900),
    (PRO_PRODUCT, "Kairos Pro", PRO_MONTHLY_PRICE, 4900),
];

pub(crate) fn seed(products: &mut Table<Product>, prices: &mut Table<Price>, now: i64) {
    for (product, name, price, unit_amount) in PLANS {
        products.insert(Product {
            id: product.to_owned(),
            name: name.to_owned(),
            default_price: Some(price.to_owned()),
            created: now,
        });
        prices.insert(Price {
            id: price.to_owned(),
            product: product.to_owned(),
            unit_amount,
            currency: "eur".to_owned(),
            created: now,
        });
    }
}
