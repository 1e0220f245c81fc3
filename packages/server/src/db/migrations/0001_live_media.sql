ALTER TABLE "lives" ADD COLUMN "thumbnail_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "lives" ADD COLUMN "replay" jsonb;