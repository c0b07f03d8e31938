"""Writing an article's ordered relations: tag links and image credits with their people.

Both are replaced wholesale (delete, then insert in the given order); callers replace them only
when they changed, and write many articles' rows in one bulk insert.
"""

from __future__ import annotations

from collections.abc import Sequence

from cms.content.state import CreditState
from cms.models import ArticleTag, CreditContributor, ImageCredit

#: Rows per bulk insert.
BATCH = 500


async def insert_tag_links(articles: Sequence[tuple[int, Sequence[int]]]) -> None:
    """Link each article to its tags (ids), in order."""
    links = [
        ArticleTag(article_id=article_id, tag_id=tag_id, position=position)
        for article_id, tag_ids in articles
        for position, tag_id in enumerate(tag_ids)
    ]
    if links:
        await ArticleTag.bulk_create(links, batch_size=BATCH)


async def insert_credits(
    articles: Sequence[tuple[int, Sequence[CreditState]]], people_ids: dict[str, int]
) -> None:
    """Add each article's credits, in order; ``contributors`` are slugs in ``people_ids``."""
    credits = [
        ImageCredit(
            article_id=article_id,
            position=position,
            text=credit.text,
            organization=credit.organization,
            role=credit.role,
            image_url=credit.image_url,
            caption=credit.caption,
            alt_text=credit.alt_text,
        )
        for article_id, article_credits in articles
        for position, credit in enumerate(article_credits)
    ]
    if not credits:
        return
    await ImageCredit.bulk_create(credits, batch_size=BATCH)
    credit_ids = {
        (article_id, position): credit_id
        for credit_id, article_id, position in await ImageCredit.filter(
            article_id__in=[article_id for article_id, _ in articles]
        ).values_list("id", "article_id", "position")
    }
    people = [
        CreditContributor(
            credit_id=credit_ids[(article_id, position)],
            contributor_id=people_ids[slug],
            position=index,
        )
        for article_id, article_credits in articles
        for position, credit in enumerate(article_credits)
        for index, slug in enumerate(credit.contributors)
    ]
    if people:
        await CreditContributor.bulk_create(people, batch_size=BATCH)


async def delete_relations(
    tag_article_ids: Sequence[int] = (), credit_article_ids: Sequence[int] = ()
) -> None:
    """Remove the tag links of some articles and the credits of others (before re-inserting)."""
    if tag_article_ids:
        await ArticleTag.filter(article_id__in=list(tag_article_ids)).delete()
    if credit_article_ids:
        await ImageCredit.filter(article_id__in=list(credit_article_ids)).delete()
