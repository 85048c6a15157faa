"""The catalogue reader: which order lines a customer's words name, which variant each requested
change resolves to, and product questions answered from the store's rows. The line and change
tests run on a small hand-built catalogue (no database); the answers on a few rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.models import OrderItem, Product, ProductVariant
from pipeline.flows.catalogue import ItemView, VariantView, item_changes, items_named
from pipeline.flows.catalogue.answers import product_answer
from pipeline.flows.catalogue.words import words_of
from tests.factories import CustomerFactory, OrderFactory

D = Decimal
KEYBOARD, THERMOSTAT, SHIRT, BOTTLE, BOARD, LAMP, PUZZLE = 1, 2, 3, 4, 5, 6, 7
NAMES = {
    KEYBOARD: "Mechanical Keyboard",
    THERMOSTAT: "Smart Thermostat",
    SHIRT: "T-Shirt",
    BOTTLE: "Water Bottle",
    BOARD: "Skateboard",
    LAMP: "Desk Lamp",
    PUZZLE: "Jigsaw Puzzle",
}


def _v(item_id: str, price: str, available: bool = True, **options: str) -> VariantView:
    return VariantView(
        item_id, {k.replace("_", " "): v for k, v in options.items()}, D(price), available
    )


VARIANTS = {
    KEYBOARD: [
        _v("k1", "120.00", switch_type="linear", backlight="RGB", size="full size"),
        _v("k2", "110.00", switch_type="tactile", backlight="none", size="full size"),
        _v("k3", "125.00", switch_type="tactile", backlight="RGB", size="full size"),
        _v("k4", "115.00", False, switch_type="clicky", backlight="none", size="full size"),
        _v("k5", "100.00", switch_type="clicky", backlight="none", size="60%"),
        _v("k6", "95.00", switch_type="tactile", backlight="none", size="60%"),
    ],
    THERMOSTAT: [
        _v("t1", "150.00", compatibility="Apple HomeKit", color="white"),
        _v("t2", "155.00", compatibility="Google Assistant", color="black"),
        _v("t3", "149.00", compatibility="Amazon Alexa", color="black"),
        _v("t4", "151.00", compatibility="Google Assistant", color="white"),
        _v("t5", "152.00", compatibility="Apple HomeKit", color="black"),
    ],
    SHIRT: [
        _v("s1", "20.00", color="blue", size="M", material="cotton", style="crew neck"),
        _v("s2", "22.00", color="red", size="L", material="cotton", style="v-neck"),
        _v("s3", "21.00", color="green", size="M", material="polyester", style="crew neck"),
        _v("s4", "23.00", color="green", size="M", material="cotton", style="crew neck"),
        _v("s5", "19.00", color="blue", size="S", material="cotton", style="crew neck"),
        _v("s6", "24.00", color="blue", size="XL", material="cotton", style="crew neck"),
    ],
    BOTTLE: [
        _v("b1", "15.00", capacity="500ml", material="glass", color="blue"),
        _v("b2", "18.00", capacity="750ml", material="stainless steel", color="black"),
        _v("b3", "17.00", capacity="750ml", material="glass", color="black"),
        _v("b4", "19.00", False, capacity="1000ml", material="glass", color="blue"),
    ],
    BOARD: [
        _v("d1", "80.00", length="31 inch", deck_material="maple"),
        _v("d2", "85.00", length="28 inch", deck_material="bamboo"),
        _v("d3", "90.00", length="34 inch", deck_material="bamboo"),
        _v("d4", "70.00", length="28 inch", deck_material="maple"),
    ],
    LAMP: [
        _v("l1", "30.00", brightness="high", color="white"),
        _v("l2", "31.00", brightness="medium", color="white"),
        _v("l3", "29.00", brightness="low", color="black"),
    ],
    PUZZLE: [
        _v("p1", "12.00", pieces="1000", theme="birds"),
        _v("p2", "14.00", pieces="1500", theme="birds"),
        _v("p3", "16.00", pieces="2000", theme="birds"),
    ],
}


def _line(product_id: int, item_id: str) -> ItemView:
    variant = next(v for v in VARIANTS[product_id] if v.item_id == item_id)
    return ItemView(item_id, NAMES[product_id], product_id, variant.options, variant.price)


ORDER = [
    _line(KEYBOARD, "k1"),
    _line(THERMOSTAT, "t1"),
    _line(SHIRT, "s1"),
    _line(SHIRT, "s2"),
    _line(BOTTLE, "b1"),
]


def variants_of(product_id: int) -> list[VariantView]:
    return VARIANTS[product_id]


def _ids(items: list[ItemView]) -> list[str]:
    return [i.item_id for i in items]


def _one_change(text: str, items: list[ItemView] = ORDER):
    changes = item_changes(text, items, variants_of)
    assert len(changes) == 1, changes
    return changes[0]


# --- items_named ---------------------------------------------------------------------------


def test_several_products_named_in_a_list() -> None:
    text = "I'd like to send back the water bottle and the keyboard, please"
    assert _ids(items_named(text, ORDER)) == ["k1", "b1"]


def test_everyday_words_for_a_product() -> None:
    bag = ItemView("g1", "Backpack", 8, {"color": "grey"}, D("40.00"))
    lines = [_line(KEYBOARD, "k1"), _line(SHIRT, "s1"), bag]
    assert _ids(items_named("I'd like to return the bag and the tee", lines)) == ["s1", "g1"]


def test_everything_except_one_product() -> None:
    assert _ids(items_named("return everything except the thermostat", ORDER)) == [
        "k1",
        "s1",
        "s2",
        "b1",
    ]
    assert _ids(items_named("all of it but the shirts", ORDER)) == ["k1", "t1", "b1"]


def test_both_of_a_product_and_one_described_by_its_options() -> None:
    assert _ids(items_named("can both tshirts go back?", ORDER)) == ["s1", "s2"]
    assert _ids(items_named("just the red v-neck tee", ORDER)) == ["s2"]


def test_lines_named_by_price_or_by_their_values_alone() -> None:
    assert _ids(items_named("I only want to return the pricier shirt", ORDER)) == ["s2"]
    assert _ids(items_named("the cheaper t-shirt can go back", ORDER)) == ["s1"]
    assert _ids(items_named("send back the red one", ORDER)) == ["s2"]
    assert len(items_named("please return all the items", ORDER)) == len(ORDER)


def test_a_product_kept_or_only_naming_the_order_is_left_out() -> None:
    assert _ids(items_named("return the bottle, but I'll keep the keyboard", ORDER)) == ["b1"]
    text = "send back the bottle that arrived with the thermostat"
    assert _ids(items_named(text, ORDER)) == ["b1"]
    assert items_named("where is my parcel?", ORDER) == []


# --- item_changes --------------------------------------------------------------------------


def test_stated_values_with_a_negation_and_unstated_ones_kept() -> None:
    change = _one_change("swap my keyboard for one with tactile switches and no backlight")
    assert change.chosen is not None and change.chosen.item_id == "k2"  # full size kept


def test_a_value_ruled_out_with_instead_of() -> None:
    text = "trade the thermostat for one that works with Alexa instead of HomeKit"
    change = _one_change(text)
    assert change.chosen is not None and change.chosen.item_id == "t3"
    text = (
        "change the thermostat to a black one compatible with Google Assistant, not Apple HomeKit"
    )
    assert _one_change(text).chosen.item_id == "t2"


def test_anything_but_and_either_or() -> None:
    text = "change the thermostat to a Google Assistant one, anything but white"
    assert _one_change(text).chosen.item_id == "t2"
    text = "swap the bottle for a 750ml one, either glass or stainless steel"
    assert _one_change(text).chosen.item_id == "b3"  # glass, as the current one


def test_a_preferred_value_wins_when_both_are_there() -> None:
    text = "swap the bottle for a black 750ml one, I'd prefer stainless steel over glass"
    assert _one_change(text).chosen.item_id == "b2"
    text = "swap the bottle for a black 750ml one in stainless steel, or if that's sold out glass"
    assert _one_change(text).chosen.item_id == "b2"


def test_two_changes_in_one_message() -> None:
    text = (
        "please swap the keyboard for the tactile one without backlight, and the thermostat "
        "for a black one that works with Google Assistant"
    )
    changes = item_changes(text, ORDER, variants_of)
    assert [(c.item.item_id, c.chosen and c.chosen.item_id) for c in changes] == [
        ("k1", "k2"),
        ("t1", "t2"),
    ]


def test_two_identical_lines_each_get_their_own_part() -> None:
    bottles = [_line(BOTTLE, "b1"), _line(BOTTLE, "b1")]
    text = "I got two of the same water bottles; swap them, one for a black 750ml glass one and the other for a stainless one"
    changes = item_changes(text, bottles, variants_of)
    assert [c.chosen and c.chosen.item_id for c in changes] == ["b3", "b2"]


def test_letter_sizes_and_units_match_their_spellings() -> None:
    assert _one_change("change the blue tee to size S").chosen.item_id == "s5"
    assert _one_change("exchange the blue t-shirt for an extra large").chosen.item_id == "s6"
    assert (
        _one_change("the blue t-shirt to an L please", [_line(SHIRT, "s1")]).chosen.item_id == "s2"
    )
    assert "liter" in words_of("a 2 L kettle") and "large" not in words_of("a 2 L kettle")
    text = "switch the water bottle to the 750 ml stainless one"
    assert _one_change(text).chosen.item_id == "b2"
    text = "swap the bottle for a black 750ml one in stainless steel, or if that's sold out glass"
    assert _one_change(text).chosen.item_id == "b2"


def test_out_of_stock_says_so_and_lists_what_is_available() -> None:
    change = _one_change("exchange the keyboard for a full size one, clicky, no backlight")
    assert change.chosen is None
    assert "out of stock" in change.problem
    assert change.candidates and all(v.available for v in change.candidates)
    assert "k4" not in {v.item_id for v in change.candidates}


def test_a_combination_the_product_lacks_says_so() -> None:
    change = _one_change("exchange the keyboard for a 60% one with clicky switches and RGB light")
    assert change.chosen is None and "No mechanical keyboard option" in change.problem
    assert change.candidates[0].item_id == "k5"  # the closest available: clicky and 60%


def test_equally_good_variants_are_not_guessed() -> None:
    change = _one_change("swap the bottle for a black 750ml one, the material doesn't matter")
    assert change.chosen is None and change.problem == ""
    assert sorted(v.item_id for v in change.candidates) == ["b2", "b3"]


def test_the_current_variant_is_never_chosen() -> None:
    change = _one_change("change the blue t-shirt to a blue medium cotton crew neck")
    assert change.chosen is None
    assert "already have" in change.problem
    described = "there is a t-shirt in it, the blue medium cotton crew neck one"
    assert item_changes(described, ORDER, variants_of) == []


def test_a_comparative_moves_from_the_current_value() -> None:
    board = [_line(BOARD, "d1")]
    change = _one_change("I want a shorter skateboard instead, in bamboo", board)
    assert change.chosen is not None and change.chosen.item_id == "d2"


def test_steps_and_ends_along_an_option() -> None:
    lamp, puzzle = [_line(LAMP, "l1")], [_line(PUZZLE, "p1")]
    assert (
        _one_change("could the lamp be swapped for a less bright one?", lamp).chosen.item_id == "l2"
    )
    assert (
        _one_change("the desk lamp with the lowest brightness, please", lamp).chosen.item_id == "l3"
    )
    assert _one_change("a jigsaw with 500 more pieces instead", puzzle).chosen.item_id == "p2"


def test_with_no_product_named_the_values_pick_the_product() -> None:
    lines = [_line(THERMOSTAT, "t1"), _line(SHIRT, "s1")]
    change = _one_change("could you swap it for a green polyester one?", lines)
    assert change.item.item_id == "s1" and change.chosen.item_id == "s3"
    both_black = [_line(THERMOSTAT, "t1"), _line(BOTTLE, "b1")]
    assert item_changes("make it black", both_black, variants_of) == []


def test_no_change_asked_gives_nothing() -> None:
    assert item_changes("I'd like to return the keyboard", ORDER, variants_of) == []


# --- product_answer ------------------------------------------------------------------------


@pytest.fixture
def tents(db: None) -> dict[str, ProductVariant]:
    product = Product.objects.create(sku="TENT-1", name="Camping Tent", price=D("120.00"))
    rows = {
        "small green": ("2-person", "green", "120.00", True),
        "small orange": ("2-person", "orange", "135.50", True),
        "big green": ("4-person", "green", "1093.34", True),
        "big orange": ("4-person", "orange", "240.00", False),
    }
    return {
        key: ProductVariant.objects.create(
            product=product,
            options={"capacity": capacity, "color": color},
            price=D(price),
            available=available,
        )
        for key, (capacity, color, price, available) in rows.items()
    }


def test_how_many_options_counts_the_available_variants(tents: dict) -> None:
    answer = product_answer(
        "how many camping tent options do you have?", store_id=None, customer_id=None
    )
    assert answer is not None
    assert "3 Camping Tent options" in answer and "$1,093.34" in answer
    assert "$240.00" not in answer


def test_options_filtered_by_the_words_and_by_price(tents: dict) -> None:
    answer = product_answer(
        "which 2-person tents do you have, and what do they cost?", store_id=None, customer_id=None
    )
    assert "$120.00" in answer and "$135.50" in answer and "4-person" not in answer
    answer = product_answer(
        "any tents available for less than $130?", store_id=None, customer_id=None
    )
    assert "$120.00" in answer and "$135.50" not in answer
    answer = product_answer("what's your cheapest tent?", store_id=None, customer_id=None)
    assert "$120.00" in answer and "$1,093.34" not in answer


def test_the_options_of_the_customers_own_item(tents: dict) -> None:
    customer = CustomerFactory()
    order = OrderFactory(customer=customer)
    variant = tents["small orange"]
    OrderItem.objects.create(
        order=order, product=variant.product, variant=variant, quantity=1, unit_price=variant.price
    )
    answer = product_answer(
        "what color is the tent I ordered?", store_id=None, customer_id=customer.pk
    )
    assert order.number in answer and "orange" in answer and "green" not in answer
    answer = product_answer("what colour is my tent?", store_id=None, customer_id=customer.pk)
    assert "orange" in answer and "green" not in answer


def test_not_a_product_question(tents: dict) -> None:
    assert product_answer("where is my parcel?", store_id=None, customer_id=None) is None
    assert (
        product_answer("please cancel the tent, can you?", store_id=None, customer_id=None) is None
    )
    assert product_answer("the tent arrived today", store_id=None, customer_id=None) is None
    text = "how much do I get back for the tent?"
    assert product_answer(text, store_id=None, customer_id=None) is None
